import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { parseContentDigest, SIGNATURE_CLOCK_SKEW_SECONDS, verifyRequestSignature } from '@portcullis/protocol';
import type { ExpectedDigest, SignableRequest, SigningKey } from '@portcullis/protocol';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import type { Logger } from '../observe/logger.js';
import type { SecurityEvents } from '../observe/security-events.js';
import type { Clock } from '../state/clock.js';
import type { NonceStore } from '../state/nonce-store.js';
import { BodyRefused } from './body-check.js';
import type { RequestContext } from './context.js';
import type { Stage } from './data-plane.js';
import type { CompiledRoute } from './route.js';

/** One answer for every signature failure: which part failed is for the log and metrics only. */
const INVALID: Problem = problem('invalid-signature');
const UNAVAILABLE: Problem = problem('unavailable');
/** CONTRACT §3: `created` within 300 s. */
export const SIGNATURE_MAX_AGE_SECONDS = 300;

export interface SignatureKeys {
  resolve(keyId: string): Promise<(SigningKey & { readonly consumerId: string }) | undefined>;
}

export interface SignatureStageOptions {
  readonly keys: SignatureKeys;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly events: SecurityEvents;
  readonly logger: Logger;
}

/**
 * RFC 9530: hashes the body as it streams and compares with `Content-Digest` at the end. The last chunk is
 * held back until the digest matches, so an upstream never receives a complete body that was altered.
 */
class DigestCheck extends Transform {
  private readonly hash;
  private held: Buffer | undefined;
  constructor(private readonly expected: ExpectedDigest) {
    super();
    this.hash = createHash(expected.algorithm.replace('-', ''));
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    done(null, previous);
  }
  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest();
    const expected = Buffer.from(this.expected.digest);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      done(new BodyRefused(INVALID, 'content-digest does not match the body'));
      return;
    }
    done(null, this.held);
  }
}

function signable(req: IncomingMessage): SignableRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  // TLS always (CONTRACT §3): the target URI the client addressed is https://<Host><request-target>.
  return { method: req.method ?? 'GET', url: `https://${req.headers.host ?? ''}${req.url ?? '/'}`, headers };
}

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * RFC 9421 request signatures: required where the route says so, verified whenever present. The key must
 * belong to the authenticated consumer; the nonce is claimed once across all instances; a body is checked
 * against `Content-Digest` as it streams.
 */
export function createSignatureStages(options: SignatureStageOptions): (route: CompiledRoute) => Stage {
  const { keys, nonces, clock, events, logger } = options;

  function refuse(ctx: RequestContext, reason: string): Problem {
    events.emit({ kind: 'signature_failed', reason, consumerId: ctx.principal?.consumerId ?? null, clientIp: ctx.clientIp });
    logger.debug({ requestId: ctx.id, reason }, 'request signature refused');
    return INVALID;
  }

  async function verify(req: IncomingMessage, ctx: RequestContext): Promise<Problem | undefined> {
    const body = hasBody(req);
    const request = signable(req);
    let wrongConsumer = false;
    const result = await verifyRequestSignature(
      request,
      async (keyId) => {
        const key = await keys.resolve(keyId);
        // Signing material belongs to a consumer: another consumer's key proves nothing about this caller.
        if (key && ctx.principal && key.consumerId !== ctx.principal.consumerId) {
          wrongConsumer = true;
          return undefined;
        }
        return key;
      },
      {
        now: Math.floor(clock() / 1000),
        maxAgeSeconds: SIGNATURE_MAX_AGE_SECONDS,
        requiredComponents: ['@method', '@target-uri', '@authority', ...(body ? ['content-digest'] : [])],
      },
    );
    if (!result.ok) return refuse(ctx, wrongConsumer ? 'wrong-consumer' : result.reason);
    let expected: ExpectedDigest | undefined;
    if (body) {
      expected = parseContentDigest(request.headers['content-digest'] ?? '');
      if (!expected) return refuse(ctx, 'digest-unsupported');
    }
    let fresh: boolean;
    try {
      fresh = await nonces.claim(`${result.keyId}:${result.nonce}`, (SIGNATURE_MAX_AGE_SECONDS + SIGNATURE_CLOCK_SKEW_SECONDS) * 1000);
    } catch (error) {
      // Without the nonce store a replay cannot be ruled out: fail closed.
      logger.error({ requestId: ctx.id, err: { message: (error as Error).message } }, 'nonce store unavailable: refusing signed request');
      return UNAVAILABLE;
    }
    if (!fresh) return refuse(ctx, 'replayed');
    if (expected) ctx.bodyTransform = new DigestCheck(expected);
    return undefined;
  }

  return function signatureStageFor(route) {
    const required = route.signature === 'required';
    return function signature(req: IncomingMessage, ctx: RequestContext): Problem | undefined | Promise<Problem | undefined> {
      const present = req.headers['signature-input'] !== undefined || req.headers.signature !== undefined;
      if (!present) return required ? refuse(ctx, 'missing') : undefined;
      return verify(req, ctx);
    };
  };
}
