import { contentDigest, signRequest } from '@portcullis/protocol';
import type { SigningKey } from '@portcullis/protocol';

export interface SigningOptions {
  /** The key the server knows by `keyId`: `hmac-sha256` (a secret KeyObject) or `ed25519` (a private KeyObject). */
  key: SigningKey;
  /** Covered components. Default (from @portcullis/protocol): `@method`, `@target-uri`, `@authority`, and `content-digest` with a body. */
  components?: readonly string[];
}

/**
 * RFC 9421 signature headers for one attempt, from @portcullis/protocol (the code the gateway
 * verifies with). A body gets an RFC 9530 Content-Digest first, so the signature covers the bytes.
 * Each attempt is signed afresh: a new `created` and `nonce`, since the gateway refuses a replayed nonce.
 */
export function signedHeaders(
  signing: SigningOptions,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  now: number,
): Record<string, string> {
  const withDigest = body === undefined ? headers : { ...headers, 'content-digest': contentDigest(Buffer.from(body)) };
  const signature = signRequest({ method, url: url.href, headers: withDigest }, signing.key, {
    created: Math.floor(now / 1000),
    ...(signing.components ? { components: signing.components } : {}),
  });
  return { ...withDigest, ...signature };
}
