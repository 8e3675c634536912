/** Values a path parameter or query parameter may take. */
export type ParamValue = string | number | boolean | bigint;
export type QueryValue = ParamValue | null | undefined | readonly ParamValue[];

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Fills `/companies/{id}` from `params`, percent-encoding every value as one path segment (RFC 3986
 * §3.3), so user input can never add a segment, a `..`, a query or a fragment. A missing, extra or
 * empty parameter is a TypeError: a mistake in the calling code, not bad input from the network.
 */
export function expandPath(template: string, params: Readonly<Record<string, ParamValue>> = {}): string {
  if (typeof template !== 'string' || !template.startsWith('/')) {
    throw new TypeError(`The path "${String(template)}" must start with "/": give the path template, e.g. "/companies/{id}".`);
  }
  if (/[?#]/.test(template)) throw new TypeError(`The path "${template}" contains "?" or "#": pass query parameters in options.query.`);
  const used = new Set<string>();
  const path = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new TypeError(`The path "${template}" needs params.${name}.`);
    const text = String(value);
    if (text === '') throw new TypeError(`params.${name} is empty: a path segment cannot be empty.`);
    used.add(name);
    // "." and ".." are encoded too, so that a URL parser cannot collapse them (RFC 3986 §5.2.4).
    return text === '.' || text === '..' ? text.replace(/\./g, '%2E') : encodeURIComponent(text);
  });
  const extra = Object.keys(params).filter((name) => !used.has(name));
  if (extra.length > 0) throw new TypeError(`params.${extra.join(', params.')} not used by the path "${template}".`);
  return path;
}

/** Appends `query` to a URL; arrays repeat the key; null and undefined are left out. */
export function applyQuery(url: URL, query: Readonly<Record<string, QueryValue>> | undefined): void {
  if (!query) return;
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
}
