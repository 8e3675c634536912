import type { z } from 'zod';
import { exampleFor } from './examples.js';

/**
 * Turns zod's issues into the configuration's own words: the key's path, what is wrong, and an example
 * to copy. Messages our schema writes itself (refinements) are kept; zod's generic ones
 * ("Invalid input: expected string, received undefined") are rewritten.
 */

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  }
  return out;
}

const GENERIC = /^(Invalid input|Invalid option|Too small|Too big|Invalid string|Unrecognized key)/;

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value pairs)',
};

function describeValue(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number') return Number.isInteger(input) ? 'a whole number' : 'a number with a fraction';
  if (typeof input === 'object') return 'a mapping';
  return TYPE_WORDS[typeof input] ?? typeof input;
}

/** What is wrong, without the path. */
function whatIsWrong(issue: z.core.$ZodIssue): string {
  if (!GENERIC.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'this key is required but missing';
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `needs at least ${String(issue.minimum)} item(s)` : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' ? `takes at most ${String(issue.maximum)} item(s)` : `must be at most ${String(issue.maximum)}`;
    case 'invalid_union':
      return 'this value has the wrong form';
    default:
      return 'this value is not valid';
  }
}

/** Levenshtein distance, small inputs only (configuration key names). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] as number;
}

/** The known key a misspelt one was most likely meant to be, if one is close enough. */
export function didYouMean(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const key of known) {
    const d = key.toLowerCase() === lower ? 0 : distance(lower, key.toLowerCase());
    if (d <= Math.max(1, Math.floor(key.length / 3)) && (!best || d < best.d)) best = { key, d };
  }
  return best?.key;
}

function withExample(text: string, example: string | undefined, lead = 'for example'): string {
  return example ? `${text}; ${lead}:\n      ${example.replaceAll('\n', '\n      ')}` : text;
}

/**
 * One line (plus an example) per issue. `knownKeys` gives the keys the object at a path accepts, for
 * "did you mean".
 */
export function describeIssue(issue: z.core.$ZodIssue, knownKeys: (path: readonly PropertyKey[]) => readonly string[]): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path);
    const parts = issue.keys.map((k) => {
      const guess = didYouMean(k, known);
      return guess ? `"${k}" (did you mean \`${guess}\`?)` : `"${k}"`;
    });
    const what = `${path || '(top level)'}: unknown key ${parts.join(', ')}`;
    const first = issue.keys[0] ?? '';
    const meant = didYouMean(first, known) ?? first;
    return withExample(what, exampleFor(path ? `${path}.${meant}` : meant), 'expected for example');
  }
  return withExample(`${path || '(top level)'}: ${whatIsWrong(issue)}`, exampleFor(path));
}

type Def = { type: string; shape?: Record<string, { _zod: { def: Def } }>; innerType?: { _zod: { def: Def } }; in?: { _zod: { def: Def } }; element?: { _zod: { def: Def } }; options?: { _zod: { def: Def } }[] };

/** The keys the object at `path` accepts, found by walking the schema (through defaults, lists and unions). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const visit = (def: Def, rest: readonly PropertyKey[]): void => {
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
        if (def.innerType) visit(def.innerType._zod.def, rest);
        return;
      case 'pipe':
        if (def.in) visit(def.in._zod.def, rest);
        return;
      case 'union':
        for (const option of def.options ?? []) visit(option._zod.def, rest);
        return;
      case 'array':
        if (typeof rest[0] === 'number' && def.element) visit(def.element._zod.def, rest.slice(1));
        return;
      case 'object': {
        const shape = def.shape ?? {};
        if (rest.length === 0) for (const key of Object.keys(shape)) keys.add(key);
        else if (typeof rest[0] === 'string' && shape[rest[0]]) visit((shape[rest[0]] as { _zod: { def: Def } })._zod.def, rest.slice(1));
        return;
      }
      default:
        return;
    }
  };
  visit((schema as unknown as { _zod: { def: Def } })._zod.def, path);
  return [...keys];
}
