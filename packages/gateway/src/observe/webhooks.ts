import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { contentDigest, signRequest } from '@portcullis/protocol';
import { Agent, request } from 'undici';
import type { Logger } from './logger.js';

export interface WebhookTarget {
  readonly url: string;
  readonly keyId: string;
  /** The shared HMAC secret (from the environment variable the config names), made a KeyObject once. */
  readonly secret: KeyObject;
  readonly ca?: string;
}

/** The components every delivery's signature covers: the body through its digest (RFC 9530). */
export const WEBHOOK_SIGNED_COMPONENTS = ['@method', '@target-uri', 'content-type', 'content-digest'] as const;

/**
 * Signs a webhook POST with RFC 9421 HTTP Message Signatures (the protocol package's signRequest, the
 * one implementation the gateway and the SDK share), hmac-sha256 under the webhook's shared secret:
 * `@method`, `@target-uri`, `content-type` and `content-digest`, with `created`, `keyid`, `alg` and a
 * fresh `nonce`, so a receiver can refuse stale or replayed deliveries.
 */
export function signWebhook(target: WebhookTarget, body: string, now: Date): Record<string, string> {
  const headers = { 'content-type': 'application/json', 'content-digest': contentDigest(Buffer.from(body, 'utf8')) };
  const signature = signRequest({ method: 'POST', url: target.url, headers }, { keyId: target.keyId, algorithm: 'hmac-sha256', key: target.secret }, {
    components: WEBHOOK_SIGNED_COMPONENTS,
    created: Math.floor(now.getTime() / 1000),
  });
  return { ...headers, ...signature };
}

export interface DeliveryOptions {
  readonly attempts: number;
  /** First retry after this, doubling each time (with jitter), capped at maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly onGiveUp: () => void;
  readonly now: () => Date;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Delivers one alert to one webhook: signed afresh for every attempt (a new `created` and nonce), retried
 * on network errors, 408, 429 and 5xx with exponential backoff and jitter; any other 4xx is final (the
 * receiver refused this delivery, retrying would not change its mind).
 */
export async function deliverWebhook(target: WebhookTarget, body: string, options: DeliveryOptions): Promise<boolean> {
  const dispatcher = target.ca ? new Agent({ connect: { ca: readFileSync(target.ca) } }) : undefined;
  try {
    for (let attempt = 1; attempt <= options.attempts; attempt++) {
      let status = 0;
      try {
        const headers = signWebhook(target, body, options.now());
        const res = await request(target.url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          ...(dispatcher ? { dispatcher } : {}),
        });
        status = res.statusCode;
        await res.body.dump();
        if (status >= 200 && status < 300) return true;
      } catch (error) {
        options.logger.debug({ webhook: target.url, attempt, err: { code: (error as { code?: string }).code } }, 'alert webhook delivery failed');
      }
      const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
      if (!retryable || attempt === options.attempts) break;
      const delay = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
    options.logger.warn({ webhook: target.url }, 'alert webhook delivery given up');
    options.onGiveUp();
    return false;
  } finally {
    await dispatcher?.close();
  }
}
