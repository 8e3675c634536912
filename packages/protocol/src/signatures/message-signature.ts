/**
 * RFC 9421 HTTP Message Signatures for requests, with the algorithms Portcullis accepts: `hmac-sha256`
 * (a shared secret) and `ed25519`. The gateway verifies and the SDK signs with this same code.
 */
import { createHmac, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';
import type { BareItem, Dictionary, InnerList, Parameters } from 'structured-headers';
import { signatureBase, SignatureBaseError } from './signature-base.js';
import type { SignableRequest } from './signature-base.js';

export type SignatureAlgorithm = 'hmac-sha256' | 'ed25519';
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['hmac-sha256', 'ed25519'];

export interface SigningKey {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  /** A secret key for hmac-sha256; for ed25519 the private key to sign, the public key to verify. */
  readonly key: KeyObject;
}

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  readonly created?: number;
  /** Default: 16 random bytes, base64url. */
  readonly nonce?: string;
  /** Default: `@method`, `@target-uri`, `@authority`, and `content-digest` when the request has one. */
  readonly components?: readonly string[];
  /** The dictionary key in `Signature-Input` / `Signature`; default `sig1`. */
  readonly label?: string;
  /** Seconds since the epoch after which the signature is void. */
  readonly expires?: number;
}

export interface SignatureHeaders {
  readonly 'signature-input': string;
  readonly signature: string;
}

export interface VerifyOptions {
  /** Seconds since the epoch; default now. */
  readonly now?: number;
  /** How old `created` may be. */
  readonly maxAgeSeconds: number;
  /** Components the signature must cover, e.g. `['@method', '@target-uri', 'content-digest']`. */
  readonly requiredComponents: readonly string[];
}

export type SignatureVerification =
  | { readonly ok: true; readonly keyId: string; readonly nonce: string; readonly created: number }
  | { readonly ok: false; readonly reason: SignatureFailure };

/** Why verification failed: for logs and metrics only; a response must not tell these apart. */
export type SignatureFailure =
  | 'missing'
  | 'malformed'
  | 'missing-parameter'
  | 'expired'
  | 'not-yet-valid'
  | 'component-not-covered'
  | 'component-unavailable'
  | 'unknown-key'
  | 'algorithm-mismatch'
  | 'bad-signature';

export type KeyLookup = (keyId: string, algorithm: string | undefined) => SigningKey | undefined | Promise<SigningKey | undefined>;

/** A `created` this far ahead of our clock is tolerated, for clock skew between signer and verifier. */
export const SIGNATURE_CLOCK_SKEW_SECONDS = 30;
/** More signatures than this on one request are not examined (each costs a key lookup and a verify). */
const MAX_SIGNATURES = 4;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function assertUsableKey(key: SigningKey, purpose: 'sign' | 'verify'): void {
  const expected = key.algorithm === 'hmac-sha256' ? 'secret' : purpose === 'sign' ? 'private' : 'public';
  if (!SIGNATURE_ALGORITHMS.includes(key.algorithm)) throw new TypeError(`algorithm must be one of ${SIGNATURE_ALGORITHMS.join(', ')}`);
  if (key.key.type !== expected) throw new TypeError(`${key.algorithm} needs a ${expected} KeyObject to ${purpose}`);
  if (key.algorithm === 'ed25519' && key.key.asymmetricKeyType !== 'ed25519') throw new TypeError('ed25519 needs an Ed25519 key');
}

function rawSignature(key: SigningKey, base: string): Buffer {
  const data = Buffer.from(base, 'utf8');
  return key.algorithm === 'hmac-sha256' ? createHmac('sha256', key.key).update(data).digest() : sign(null, data, key.key);
}

/** The `Signature-Input` and `Signature` header values that sign `request` with `key`. */
export function signRequest(request: SignableRequest, key: SigningKey, options: SignOptions = {}): SignatureHeaders {
  assertUsableKey(key, 'sign');
  const hasDigest = Object.keys(request.headers).some((name) => name.toLowerCase() === 'content-digest');
  const components = options.components ?? ['@method', '@target-uri', '@authority', ...(hasDigest ? ['content-digest'] : [])];
  const label = options.label ?? 'sig1';
  const params: Parameters = new Map<string, BareItem>([['created', options.created ?? nowSeconds()]]);
  if (options.expires !== undefined) params.set('expires', options.expires);
  params.set('keyid', key.keyId);
  params.set('alg', key.algorithm);
  params.set('nonce', options.nonce ?? randomBytes(16).toString('base64url'));
  const input: InnerList = [components.map((name) => [name, new Map()]), params];
  const signature = rawSignature(key, signatureBase(request, input));
  return {
    'signature-input': serializeDictionary(new Map([[label, input]])),
    signature: serializeDictionary(new Map([[label, [signature, new Map()]]])),
  };
}

function headerValue(request: SignableRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function parseHeaders(request: SignableRequest): { inputs: Dictionary; signatures: Dictionary } | SignatureFailure {
  const input = headerValue(request, 'signature-input');
  const signature = headerValue(request, 'signature');
  if (input === undefined || signature === undefined) return 'missing';
  try {
    return { inputs: parseDictionary(input), signatures: parseDictionary(signature) };
  } catch {
    return 'malformed';
  }
}

interface Candidate {
  readonly input: InnerList;
  readonly signature: Uint8Array;
  readonly keyId: string;
  readonly nonce: string;
  readonly created: number;
  readonly expires: number | undefined;
  readonly algorithm: string | undefined;
}

/** One labelled signature, its parameters checked for type; RFC 9421 §3.2 steps 1 to 5. */
function candidate(label: string, inputs: Dictionary, signatures: Dictionary): Candidate | SignatureFailure {
  const input = inputs.get(label);
  const signature = signatures.get(label);
  if (input === undefined || signature === undefined) return 'malformed';
  if (!Array.isArray(input[0]) || Array.isArray(signature[0]) || !(signature[0] instanceof ArrayBuffer)) return 'malformed';
  const params = input[1];
  const created = params.get('created');
  const keyId = params.get('keyid');
  const nonce = params.get('nonce');
  const expires = params.get('expires');
  const algorithm = params.get('alg');
  if (created === undefined || keyId === undefined || nonce === undefined) return 'missing-parameter';
  if (!Number.isInteger(created) || typeof keyId !== 'string' || typeof nonce !== 'string') return 'malformed';
  if ((expires !== undefined && !Number.isInteger(expires)) || (algorithm !== undefined && typeof algorithm !== 'string')) return 'malformed';
  return {
    input: input as InnerList,
    signature: new Uint8Array(signature[0]),
    keyId,
    nonce,
    created: created as number,
    expires: expires as number | undefined,
    algorithm: algorithm as string | undefined,
  };
}

function signatureMatches(key: SigningKey, base: string, signature: Uint8Array): boolean {
  const data = Buffer.from(base, 'utf8');
  if (key.algorithm === 'ed25519') return verify(null, data, key.key, signature);
  const expected = createHmac('sha256', key.key).update(data).digest();
  return expected.length === signature.length && timingSafeEqual(expected, signature); // constant time (RFC 9421 §7.3.3)
}

async function verifyCandidate(request: SignableRequest, found: Candidate, lookupKey: KeyLookup, options: VerifyOptions): Promise<SignatureVerification> {
  const now = options.now ?? nowSeconds();
  if (found.created > now + SIGNATURE_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'not-yet-valid' };
  if (now - found.created > options.maxAgeSeconds) return { ok: false, reason: 'expired' };
  if (found.expires !== undefined && now > found.expires) return { ok: false, reason: 'expired' };
  const covered = new Set(found.input[0].map(([name]) => name));
  if (options.requiredComponents.some((name) => !covered.has(name))) return { ok: false, reason: 'component-not-covered' };
  const key = await lookupKey(found.keyId, found.algorithm);
  if (key === undefined) return { ok: false, reason: 'unknown-key' };
  // The key decides the algorithm; a different `alg` is refused, never followed (RFC 9421 §3.2 step 6).
  if (found.algorithm !== undefined && found.algorithm !== key.algorithm) return { ok: false, reason: 'algorithm-mismatch' };
  assertUsableKey(key, 'verify');
  let base: string;
  try {
    base = signatureBase(request, found.input);
  } catch (error) {
    if (error instanceof SignatureBaseError) return { ok: false, reason: 'component-unavailable' };
    throw error;
  }
  if (!signatureMatches(key, base, found.signature)) return { ok: false, reason: 'bad-signature' };
  return { ok: true, keyId: found.keyId, nonce: found.nonce, created: found.created };
}

/**
 * Verify the request's RFC 9421 signature. `created`, `keyid` and `nonce` are required; replay of a
 * nonce is the caller's to refuse (it owns the store that remembers them). With several signatures,
 * the first that verifies wins; otherwise the first failure is returned.
 */
export async function verifyRequestSignature(request: SignableRequest, lookupKey: KeyLookup, options: VerifyOptions): Promise<SignatureVerification> {
  const parsed = parseHeaders(request);
  if (typeof parsed === 'string') return { ok: false, reason: parsed };
  const labels = [...parsed.inputs.keys()].slice(0, MAX_SIGNATURES);
  if (labels.length === 0) return { ok: false, reason: 'missing' };
  let firstFailure: SignatureVerification | undefined;
  for (const label of labels) {
    const found = candidate(label, parsed.inputs, parsed.signatures);
    const result = typeof found === 'string' ? ({ ok: false, reason: found } as const) : await verifyCandidate(request, found, lookupKey, options);
    if (result.ok) return result;
    firstFailure ??= result;
  }
  return firstFailure ?? { ok: false, reason: 'missing' };
}
