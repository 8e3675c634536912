/**
 * Where to go after signing in. Only a path inside the console is followed: anything else (another
 * origin, a scheme, `//host`, `/\host`, which browsers read as another host) goes to the console's
 * start page, so a crafted sign-in link cannot send a user elsewhere (OWASP Unvalidated Redirects).
 */
export const CONSOLE_HOME = '/console/';

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return CONSOLE_HOME;
  // Control characters and backslashes are refused outright: browsers strip or convert them.
  if (value.includes('\\') || [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return CONSOLE_HOME;
  if (!value.startsWith('/console/') && value !== '/console') return CONSOLE_HOME;
  const resolved = new URL(value, 'https://console.invalid');
  if (resolved.origin !== 'https://console.invalid' || !resolved.pathname.startsWith('/console')) return CONSOLE_HOME;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
