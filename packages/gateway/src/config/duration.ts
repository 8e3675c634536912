const UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNITS_MS;
/** One or more `<number><unit>` parts, largest unit first by convention: `90d`, `1h30m`, `2w`, `0s`. */
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** The units a duration may use, for messages. */
export const DURATION_UNITS = 'ms, s, m, h, d, w; parts may be combined, as in 1h30m';

/**
 * Parses `500ms`, `30s`, `1h30m`, `24h`, `90d`, `2w` into milliseconds; undefined when the text is not
 * one. Zero (`0s`) parses to 0: whether zero is allowed is the caller's decision (a grace may be zero,
 * a lifetime may not); a negative duration never parses.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) ms += Number(amount) * UNITS_MS[unit as Unit];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** The shortest exact rendering of a duration, for messages and `--json` output. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNITS_MS[unit] === 0) return `${ms / UNITS_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
