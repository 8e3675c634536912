import { expect } from 'vitest';

/** One scrape of the admin listener's /metrics, as Prometheus does it: the series name with its labels -> value. */
export async function scrape(admin: (path: string) => Promise<{ status: number; text: string }>): Promise<Map<string, number>> {
  const reply = await admin('/metrics');
  expect(reply.status).toBe(200);
  const series = new Map<string, number>();
  for (const line of reply.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** How much a series moved between two scrapes (an absent series counts as 0). */
export function delta(before: Map<string, number>, after: Map<string, number>, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0);
}

/** How much every series of one metric moved in total, whatever its labels. */
export function totalDelta(before: Map<string, number>, after: Map<string, number>, metric: string): number {
  let sum = 0;
  for (const [series, value] of after) if (series === metric || series.startsWith(`${metric}{`)) sum += value - (before.get(series) ?? 0);
  return sum;
}
