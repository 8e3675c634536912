/** RFC 9530 `Content-Digest`: a digest of the message content, so that a signature can cover the body. */
import { createHash } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';

export type DigestAlgorithm = 'sha-256' | 'sha-512';
const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['sha-256', 'sha-512'];

/** The `Content-Digest` header value for a body, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`. */
export function contentDigest(body: Uint8Array, algorithm: DigestAlgorithm = 'sha-256'): string {
  if (!DIGEST_ALGORITHMS.includes(algorithm)) throw new TypeError(`contentDigest: algorithm must be one of ${DIGEST_ALGORITHMS.join(', ')}`);
  const digest = createHash(algorithm.replace('-', '')).update(body).digest();
  return serializeDictionary({ [algorithm]: digest });
}

export interface ExpectedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly digest: Uint8Array;
}

/**
 * The strongest digest we support in a `Content-Digest` value, or undefined when the value is malformed
 * or names none we support. RFC 9530 §2 lets a sender list several; the recipient picks one it knows.
 */
export function parseContentDigest(value: string): ExpectedDigest | undefined {
  let dictionary;
  try {
    dictionary = parseDictionary(value);
  } catch {
    return undefined;
  }
  for (const algorithm of ['sha-512', 'sha-256'] as const) {
    const member = dictionary.get(algorithm);
    if (member === undefined || Array.isArray(member[0])) continue;
    const bytes = member[0];
    if (!(bytes instanceof ArrayBuffer)) return undefined;
    return { algorithm, digest: new Uint8Array(bytes) };
  }
  return undefined;
}
