import type { Sql } from './sql.js';

/**
 * `SELECT <select> [WHERE c1 AND c2 ...] ORDER BY seq DESC LIMIT n` for list endpoints: each condition is
 * a clause with one `?` and its value, left out when the value is undefined. Values are always bound as
 * parameters, never spliced into the text.
 */
export async function selectNewestFirst<Row extends Record<string, unknown>>(
  sql: Sql,
  select: string,
  conditions: readonly Condition[],
  limit: number,
): Promise<Row[]> {
  const { where, params } = whereOf(conditions);
  params.push(limit);
  return sql.query<Row>(`${select} ${where} ORDER BY seq DESC LIMIT $${params.length}`, params);
}

/** A clause with one `?` and its value; left out when the value is undefined. */
export type Condition = readonly [clause: string, value: unknown];

/** `WHERE c1 AND c2 ...` (or nothing) with `?` numbered `$1`, `$2`..., and the values in that order. */
export function whereOf(conditions: readonly Condition[]): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const [clause, value] of conditions) {
    if (value === undefined) continue;
    params.push(value);
    clauses.push(clause.replace('?', `$${params.length}`));
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
