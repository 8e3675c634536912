import { InvalidArgumentError } from 'commander';
import { checkIpRange } from '../http/ip-ranges.js';
import { checkDuration } from '../config/syntax.js';
import type { DurationRule } from '../config/syntax.js';
import { SCOPE_TOKEN } from '../config/syntax.js';

/**
 * Flag values are checked here, before any request, so a mistake is reported with the flag's name,
 * what is wrong and an example (commander prefixes "option '--grace <duration>' argument ... is invalid").
 */

/** A repeatable flag that also takes comma-separated values: `--scope a,b --scope c` -> [a, b, c]. */
export function commaList(check?: (item: string) => string | undefined) {
  return (value: string, previous: string[]): string[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      const problem = check?.(item);
      if (problem) throw new InvalidArgumentError(problem);
    }
    return [...previous, ...items];
  };
}

export const scopeItem = (item: string) =>
  SCOPE_TOKEN.test(item) ? undefined : `"${item}" is not a scope: a scope is printable ASCII without spaces, quotes or backslashes, such as companies:read`;

export const ipItem = (item: string) => {
  const checked = checkIpRange(item);
  return checked.ok ? undefined : `"${item}": ${checked.message}`;
};

/** A duration flag: milliseconds after parsing, with the text kept for the admin API. */
export function durationFlag(example: string, rule: DurationRule = {}) {
  return (value: string): string => {
    const checked = checkDuration(value, example, rule);
    if (!checked.ok) throw new InvalidArgumentError(checked.message);
    return value.trim();
  };
}

/** A whole number flag, such as --limit. */
export function positiveInteger(example: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number above zero; for example ${example}`);
    return n;
  };
}

const FIELD_FLAGS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^consumerId$/, '--consumer'],
  [/^scopes(\[\d+\])?$/, '--scope'],
  [/^allowedIps(\[\d+\])?$/, '--allow-ip'],
  [/^allowedOrigins(\[\d+\])?$/, '--allow-origin'],
  [/^expiresIn$/, '--expires-in'],
  [/^grace$/, '--grace'],
  [/^name$/, '--name'],
  [/^role$/, '--role'],
  [/^consumers(\[\d+\])?$/, '--consumer'],
];

/** The admin API names body fields; the command line speaks of flags. */
export function flagForField(field: string): string {
  return FIELD_FLAGS.find(([pattern]) => pattern.test(field))?.[1] ?? field;
}
