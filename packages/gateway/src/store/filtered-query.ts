import type { Sql } from './sql.js';

/**
 * `SELECT <select> [WHERE c1 AND c2 ...] ORDER BY seq DESC LIMIT n` for list endpoints: each condition is
 * a clause with one `?` and its value, left out when the value is undefined. Values are always bound as
 * parameters, never spliced into the text.
 */
export async function selectNewestFirst<Row extends Record<string, unknown>>(
  sql: Sql,
  select: string,
  conditions: readonly (readonly [clause: string, value: unknown])[],
  limit: number,
): Promise<Row[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [clause, value] of conditions) {
    if (value === undefined) continue;
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  }
  params.push(limit);
  return sql.query<Row>(`${select} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`, params);
}
