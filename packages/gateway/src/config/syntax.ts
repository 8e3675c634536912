import { z } from 'zod';
import { checkIpRange } from '../http/ip-ranges.js';
import { parseDuration } from './duration.js';

/**
 * The value syntaxes that the configuration file and the admin API share, written once: durations,
 * scope tokens and IP ranges. Each message says what was expected, with an example.
 */

/** `500ms`, `30s`, `1m`, `24h`, `90d` -> milliseconds. */
export function durationSchema(example: string) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "${example}" (units: ms, s, m, h, d)` });
      return z.NEVER;
    }
    return ms;
  });
}

/** RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const scopeSchema = z.string().regex(SCOPE_TOKEN, 'expected a scope token (RFC 6749 §3.3)');

/** An address or CIDR in canonical form, with the network named when host bits are set. */
export const ipRangeSchema = z.string().superRefine((text, ctx) => {
  const checked = checkIpRange(text);
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
});
