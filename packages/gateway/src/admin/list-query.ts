import { parseDuration } from '../config/duration.js';
import { z } from 'zod';
import { refuse } from './http.js';
import { JsonLines } from './operation.js';

/**
 * The query parameters every list endpoint shares (access records, audit log, alerts): `limit`,
 * an opaque `cursor` from the previous page's `nextCursor`, a `since`/`until` time (ISO 8601, or a
 * duration such as `24h` meaning that long ago), and `format=jsonl` for a JSON-lines export of every match.
 */
export interface ListQuery {
  readonly limit: number;
  readonly before: string | undefined;
  readonly since: Date | undefined;
  readonly until: Date | undefined;
  readonly export: boolean;
}

const MAX_LIMIT = 1000;
const EXPORT_PAGE = 1000;

function bad(name: string, expected: string): never {
  refuse('bad-request', `Query parameter "${name}": expected ${expected}.`);
}

export function parseTime(query: URLSearchParams, name: string, now: number): Date | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(now - ago);
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(text)) bad(name, 'an ISO 8601 time such as "2026-01-31T12:00:00Z" or a duration such as "24h"');
  return new Date(at);
}

export function parseListQuery(query: URLSearchParams, now: number): ListQuery {
  const limitText = query.get('limit');
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) bad('limit', `an integer from 1 to ${MAX_LIMIT}`);
  const cursor = query.get('cursor');
  let before: string | undefined;
  if (cursor) {
    before = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!/^\d{1,19}$/.test(before)) bad('cursor', 'the nextCursor of a previous page');
  }
  const format = query.get('format');
  if (format !== null && format !== 'json' && format !== 'jsonl') bad('format', '"json" or "jsonl"');
  return { limit, before, since: parseTime(query, 'since', now), until: parseTime(query, 'until', now), export: format === 'jsonl' };
}

export function optionalParam(query: URLSearchParams, name: string, pattern: RegExp, expected: string): string | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!pattern.test(value)) bad(name, expected);
  return value;
}

/**
 * A page (`{items, nextCursor}`) or, with format=jsonl, every matching item as JSON lines, read page by
 * page so memory stays flat however many match.
 */
export async function listReply<T extends { seq: string }, K extends string, V>(
  key: K,
  list: ListQuery,
  read: (before: string | undefined, limit: number) => Promise<T[]>,
  describe: (item: T) => V,
): Promise<({ [P in K]: V[] } & { nextCursor: string | null }) | JsonLines> {
  if (list.export) {
    async function* lines(): AsyncGenerator<string> {
      let before = list.before;
      for (;;) {
        const page = await read(before, EXPORT_PAGE);
        for (const item of page) yield JSON.stringify(describe(item));
        if (page.length < EXPORT_PAGE) return;
        before = (page.at(-1) as T).seq;
      }
    }
    return new JsonLines(lines());
  }
  const page = await read(list.before, list.limit + 1);
  const more = page.length > list.limit;
  const items = more ? page.slice(0, list.limit) : page;
  const nextCursor = more ? Buffer.from((items.at(-1) as T).seq).toString('base64url') : null;
  return { [key]: items.map(describe), nextCursor } as { [P in K]: V[] } & { nextCursor: string | null };
}

/** The list parameters, for the OpenAPI document (parseListQuery checks them, with its own messages). */
export const listQuerySchema = z.object({
  limit: z.string().optional().describe('page size, 1 to 1000 (default 100)'),
  cursor: z.string().optional().describe('the nextCursor of the previous page'),
  since: z.string().optional().describe('an ISO 8601 time, or a duration such as "24h" meaning that long ago'),
  until: z.string().optional().describe('an ISO 8601 time, or a duration'),
  format: z.enum(['json', 'jsonl']).optional().describe('jsonl: every match as JSON lines (application/jsonl)'),
});
