import { z } from 'zod';
import { checkIpRange } from '../http/ip-ranges.js';
import { DURATION_UNITS, parseDuration } from './duration.js';

/**
 * The value syntaxes that the configuration file, the admin API and the command line share, written
 * once: durations, scope tokens and IP ranges. Each message says what was expected, with an example.
 */

export interface DurationRule {
  /** A grace period may be zero ("cut over now"); a lifetime or a timeout may not. */
  readonly allowZero?: boolean;
}

/** Checks a duration text; the message (without the key or flag name) says what is wrong, with the example. */
export function checkDuration(text: string, example: string, rule: DurationRule = {}): { ok: true; ms: number } | { ok: false; message: string } {
  const ms = parseDuration(text);
  if (ms === undefined) {
    const negative = text.trim().startsWith('-') ? 'a duration cannot be negative; ' : '';
    return { ok: false, message: `${negative}"${text}" is not a duration: expected for example "${example}" (units: ${DURATION_UNITS})` };
  }
  if (ms === 0 && !rule.allowZero) return { ok: false, message: `the duration must be longer than zero, for example "${example}"` };
  return { ok: true, ms };
}

/** `500ms`, `30s`, `1h30m`, `24h`, `90d`, `2w` -> milliseconds. */
export function durationSchema(example: string, rule: DurationRule = {}) {
  return z.string({ error: `expected a duration such as "${example}"` }).transform((text, ctx) => {
    const checked = checkDuration(text, example, rule);
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.message });
      return z.NEVER;
    }
    return checked.ms;
  });
}

/** RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const scopeSchema = z.string().regex(SCOPE_TOKEN, 'expected a scope token (RFC 6749 §3.3) such as "companies:read"');

/** An address or CIDR in canonical form, with the network named when host bits are set. */
export const ipRangeSchema = z.string().superRefine((text, ctx) => {
  const checked = checkIpRange(text);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
});
