import type { IncomingMessage } from 'node:http';

/**
 * The session cookie. The `__Host-` prefix makes browsers refuse it unless it is Secure, has Path=/ and
 * no Domain (RFC 6265bis §4.1.3.2), so no sibling host or plain-HTTP page can plant or read it.
 * HttpOnly keeps it from scripts; SameSite=Strict keeps it off every cross-site request.
 */
export const SESSION_COOKIE = '__Host-portcullis-session';

export function readSessionCookie(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** No Max-Age: the browser forgets it when it closes; the server's idle and absolute timeouts end it anyway. */
export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
}
