/** Counts of refusals by reason for one subject over an interval, with a few sample client addresses. */
export interface Tally {
  readonly reasons: Record<string, number>;
  readonly clientIps: Set<string>;
  readonly first: number;
  last: number;
}

/** Enough to see where something is being tried from, without letting one flood grow the record. */
export const MAX_SAMPLES = 5;

export function newTally(now: number): Tally {
  return { reasons: {}, clientIps: new Set(), first: now, last: now };
}

export function count(tally: Tally, reason: string, clientIp: string, now: number): void {
  tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
  tally.last = now;
  if (tally.clientIps.size < MAX_SAMPLES) tally.clientIps.add(clientIp);
}

/** The audit record's detail: counts, sample addresses, and the interval they fell in. */
export function tallyDetail(tally: Tally): Record<string, unknown> {
  return { reasons: tally.reasons, clientIps: [...tally.clientIps], from: new Date(tally.first).toISOString(), to: new Date(tally.last).toISOString() };
}
