import { writeFileSync } from 'node:fs';
import { atOrAbove, findingsToJson, findingsToSarif, findingsToTable, severityOf } from '../lib/findings.js';
import type { Finding, Severity } from '../lib/findings.js';

export interface FindingsOutputOptions {
  readonly json?: boolean;
  readonly sarif?: boolean;
  readonly output?: string;
  readonly failOn: Severity;
}

const TOOL = { name: 'portcullis', version: '0.1.0', informationUri: 'https://github.com/portcullis/portcullis' };

/**
 * Prints findings as a table, `--json` or `--sarif` (to stdout, or to `--output FILE`), and returns the
 * exit code: 1 when any finding is at or above `--fail-on`, else 0.
 */
export function reportFindings(findings: readonly Finding[], options: FindingsOutputOptions, extra: Record<string, unknown>, empty: string): number {
  const text = options.sarif
    ? JSON.stringify(findingsToSarif(findings, TOOL), null, 2)
    : options.json
      ? JSON.stringify({ ...extra, findings: findingsToJson(findings) })
      : findingsToTable(findings, empty);
  if (options.output) writeFileSync(options.output, `${text}\n`);
  else process.stdout.write(`${text}\n`);
  return findings.some((f) => atOrAbove(severityOf(f), options.failOn)) ? 1 : 0;
}
