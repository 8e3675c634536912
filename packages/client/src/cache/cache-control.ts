/** RFC 9111 §5.2 freshness for a private cache: what may be stored, for how long, and how long stale. */
export interface Freshness {
  /** Fresh for this long after it was received, ms (already less `Age`). */
  readonly maxAgeMs: number;
  /** May be served this long past freshness when the origin fails (RFC 5861 `stale-if-error`), ms. */
  readonly staleIfErrorMs: number | undefined;
}

const STORABLE = new Set([200, 203, 204, 300, 301, 404, 410]);

export function parseCacheControl(value: string | undefined): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  for (const part of (value ?? '').split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName?.trim().toLowerCase();
    if (!name) continue;
    directives.set(name, rest.length > 0 ? rest.join('=').trim().replace(/^"(.*)"$/, '$1') : true);
  }
  return directives;
}

/** Undefined when the response must not be stored (no-store, Vary: *, no explicit freshness, status). */
export function freshnessOf(status: number, headers: Readonly<Record<string, string>>, now: number): Freshness | undefined {
  if (!STORABLE.has(status) || headers.vary?.trim() === '*') return undefined;
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.has('no-store')) return undefined;
  const age = seconds(headers.age) ?? 0;
  const staleIfError = seconds(cc.get('stale-if-error'));
  const staleIfErrorMs = staleIfError === undefined ? undefined : staleIfError * 1000;
  if (cc.has('no-cache')) return { maxAgeMs: 0, staleIfErrorMs };
  const maxAge = seconds(cc.get('max-age'));
  if (maxAge !== undefined) return { maxAgeMs: Math.max(0, (maxAge - age) * 1000), staleIfErrorMs };
  const expires = headers.expires === undefined ? Number.NaN : Date.parse(headers.expires);
  const date = headers.date === undefined ? now : Date.parse(headers.date);
  if (!Number.isNaN(expires)) return { maxAgeMs: Math.max(0, expires - (Number.isNaN(date) ? now : date)), staleIfErrorMs };
  return undefined;
}

function seconds(value: string | true | undefined): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}
