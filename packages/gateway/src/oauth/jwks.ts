import type { ServerResponse } from 'node:http';
import { baseHeaders } from '../http/headers.js';
import type { OAuthContext } from './context.js';

/**
 * GET /.well-known/jwks.json (RFC 7517 §5): the published public keys. Cacheable for five minutes:
 * a rotated key is published well before it signs (see `portcullis signing-keys rotate`).
 */
export function handleJwks(ctx: OAuthContext, res: ServerResponse, requestId: string): void {
  const text = JSON.stringify(ctx.keys.jwks());
  res.writeHead(200, [
    ...baseHeaders(requestId),
    'content-type', 'application/jwk-set+json',
    'content-length', String(Buffer.byteLength(text)),
    'cache-control', 'public, max-age=300',
  ]);
  res.end(text);
}
