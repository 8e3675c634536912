/** Where a sign-in lands when no (safe) returnTo was asked for. */
export const CONSOLE_HOME = '/console/';

/**
 * `returnTo` as a same-origin console path, or undefined when it is anything else: the caller falls
 * back to CONSOLE_HOME (password sign-in) or refuses (SSO). Only a path under /console/ is accepted:
 * no scheme, no host, no `//` or `\` that a browser would read as another host, no control characters
 * (browsers strip or convert them). Anything else would make sign-in an open redirect (OWASP
 * Unvalidated Redirects).
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.length > 2048 || !value.startsWith('/') || value.startsWith('//')) return undefined;
  if (value.includes('\\') || [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return undefined;
  const base = 'https://console.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base) return undefined;
  if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}
