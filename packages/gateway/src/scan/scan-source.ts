import { open } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { Finding } from '../lib/findings.js';
import { IGNORE_MARKER, SOURCE_DETECTORS } from './source-rules.js';
import type { SourceDetector } from './source-rules.js';
import { walkTree } from './walk.js';

/** Files above this are generated or data (bundles, dumps), not hand-written source: skipped, counted. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 16;

export interface SourceScan {
  readonly findings: Finding[];
  readonly filesScanned: number;
  readonly filesSkipped: { readonly binary: number; readonly large: number };
}

/** NUL in the first 8 KiB: the same test git uses to call a file binary. */
function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

async function readText(path: string): Promise<string | 'binary' | 'large'> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) return 'large';
    const bytes = await handle.readFile();
    return looksBinary(bytes) ? 'binary' : bytes.toString('utf8');
  } finally {
    await handle.close();
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset, by binary search over line starts. */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function applies(detector: SourceDetector, text: string, lower: () => string): boolean {
  const haystack = detector.caseInsensitivePrefilter ? lower() : text;
  return detector.prefilter.some((fragment) => haystack.includes(fragment));
}

/** The findings in one file's text; `file` is the path to report. */
export function scanText(text: string, file: string): Finding[] {
  const findings: Finding[] = [];
  let lowered: string | undefined;
  const lower = () => (lowered ??= text.toLowerCase());
  let starts: number[] | undefined;
  for (const detector of SOURCE_DETECTORS) {
    if (!applies(detector, text, lower)) continue;
    const pattern = new RegExp(detector.pattern.source, detector.pattern.flags);
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      if (m[0].length === 0) pattern.lastIndex++;
      if (detector.accept && !detector.accept(m)) continue;
      starts ??= lineStarts(text);
      const line = lineOf(starts, m.index);
      const lineText = text.slice(starts[line - 1], starts[line] ?? text.length);
      if (IGNORE_MARKER.test(lineText)) continue;
      findings.push({ rule: detector.rule, message: detector.message(m), file, line, column: m.index - (starts[line - 1] as number) + 1 });
    }
  }
  return findings;
}

/** Scans every tracked text file under `root` (see walkTree) with the source detectors. */
export async function scanSource(root: string): Promise<SourceScan> {
  const findings: Finding[] = [];
  let filesScanned = 0;
  const skipped = { binary: 0, large: 0 };
  const inFlight = new Set<Promise<void>>();
  for await (const path of walkTree(root)) {
    const job = (async () => {
      const text = await readText(path).catch(() => 'binary' as const);
      if (text === 'binary' || text === 'large') {
        skipped[text]++;
        return;
      }
      filesScanned++;
      findings.push(...scanText(text, relative(root, path).split(sep).join('/')));
    })();
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { findings, filesScanned, filesSkipped: skipped };
}
