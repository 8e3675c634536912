import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { baseHeaders } from '../../http/headers.js';

/**
 * What the SSO endpoints say to a browser: the sign-in binding cookie, redirects and refusal pages.
 *
 * The binding cookie ties a pending sign-in to the browser that started it, so a response or code
 * captured from someone else (or pushed at a victim: login CSRF) does not sign anyone in. It is
 * SameSite=None because the IdP returns with a cross-site POST (SAML) or redirect (OIDC); it holds a
 * random value only, and the server keeps its hash.
 */
export const BINDING_COOKIE = '__Host-portcullis-sso';
const BINDING_LIFETIME_S = 600;

export function hashBinding(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Sets a fresh binding cookie and returns its hash, to store with the pending sign-in. */
export function bindBrowser(res: ServerResponse): string {
  const value = randomBytes(32).toString('base64url');
  res.appendHeader('set-cookie', `${BINDING_COOKIE}=${value}; Path=/; Max-Age=${BINDING_LIFETIME_S}; HttpOnly; Secure; SameSite=None`);
  return hashBinding(value);
}

export function clearBinding(res: ServerResponse): void {
  res.appendHeader('set-cookie', `${BINDING_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=None`);
}

/** The hash of this request's binding cookie, if it has one. */
export function browserBinding(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === BINDING_COOKIE) return hashBinding(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function redirect(res: ServerResponse, requestId: string, location: string): void {
  res.writeHead(303, [...baseHeaders(requestId), 'location', location, 'cache-control', 'no-store', 'content-length', '0']);
  res.end();
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A plain page saying why sign-in was refused and what to do; no detail an attacker could use (the
 * reason is logged with the request id instead). No script, no inline style: CSP allows nothing.
 */
export function sendRefusal(res: ServerResponse, requestId: string, status: number, title: string, advice: string): void {
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)} - Portcullis</title></head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(advice)}</p>` +
    `<p><a href="/console/">Back to the sign-in page</a></p><p><small>Request id: ${escapeHtml(requestId)}</small></p></main></body></html>`;
  res.writeHead(status, [
    ...baseHeaders(requestId),
    'content-type', 'text/html; charset=utf-8',
    'content-length', String(Buffer.byteLength(body)),
    'cache-control', 'no-store',
    'content-security-policy', "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options', 'nosniff',
  ]);
  res.end(body);
}

const MAX_FORM_BYTES = 256 * 1024;

/** An application/x-www-form-urlencoded body, bounded (a SAML response is a few kilobytes). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
