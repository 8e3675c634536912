import { randomUUID } from 'node:crypto';
import type { AuthStrategy } from '../auth/strategy.js';
import type { Clock } from '../clock.js';
import { ClientError, HttpError, PolicyError, TransportError } from '../errors.js';
import type { EventHub } from '../observe/events.js';
import type { Redactor } from '../observe/redact.js';
import { IDEMPOTENT_METHODS, fullJitter } from '../resilience/backoff.js';
import type { ResolvedRetry } from '../resilience/backoff.js';
import type { CircuitBreaker } from '../resilience/circuit-breaker.js';
import type { HostFlow } from '../resilience/host-flow.js';
import { parseRateLimit, retryAfterMs } from '../resilience/server-hints.js';
import { isRetryableTransportError } from '../transport/https-transport.js';
import type { IncomingResponse, Transport } from '../transport/https-transport.js';
import { httpError } from './response.js';
import { signedHeaders } from './sign.js';
import type { SigningOptions } from './sign.js';

/** Everything one logical call needs from its client. */
export interface AttemptContext {
  readonly clock: Clock;
  readonly random: () => number;
  readonly transport: Transport;
  readonly auth: AuthStrategy | undefined;
  readonly signing: SigningOptions | undefined;
  readonly events: EventHub;
  readonly redactor: Redactor;
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', object: object, message: string) => void;
  readonly flow: HostFlow;
  readonly breaker: CircuitBreaker | undefined;
}

export interface LogicalCall {
  readonly method: string;
  readonly url: URL;
  readonly host: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly retry: ResolvedRetry;
  /** Epoch ms by which the call must be done. */
  readonly deadline: number;
  readonly idempotencyKey: string | false | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Sends one logical call: waits out the host's pause and throttle, authenticates, signs, sends, and
 * retries what may be retried (full-jitter backoff, the server's Retry-After and RateLimit, the host's
 * retry budget), with one coalesced re-authentication after a 401. Resolves with a 2xx/3xx response.
 */
export async function sendWithRetries(ctx: AttemptContext, call: LogicalCall): Promise<IncomingResponse> {
  const { clock, flow, breaker, events } = ctx;
  const { method, url, host, retry } = call;
  // One key per logical call, the same on every attempt (draft-ietf-httpapi-idempotency-key-header).
  const idempotencyKey =
    IDEMPOTENT_METHODS.has(method) || call.idempotencyKey === false ? undefined : (call.idempotencyKey ?? (retry.retries > 0 ? randomUUID() : undefined));
  const mayRetry = IDEMPOTENT_METHODS.has(method) || idempotencyKey !== undefined;
  let retries = 0;
  let reauthenticated = false;

  /** Waits `delayMs` before the next attempt, or fails now when that would pass the deadline. */
  const backOff = async (delayMs: number, reason: string): Promise<void> => {
    const retryAt = clock.now() + delayMs;
    // Waiting until the deadline itself would leave no time to send: that fails fast too.
    if (retryAt >= call.deadline) {
      throw new TransportError('deadline_exceeded', `${method} ${host}: the next attempt (in ${delayMs} ms) would pass the call's deadline.`, { retryAt });
    }
    retries++;
    events.emit('retry', { host, method, attempt: retries, delayMs, reason });
    ctx.log('info', { host, method, attempt: retries, delayMs, reason }, 'retrying');
    await clock.sleep(delayMs, call.signal);
  };
  const canRetry = (): boolean => mayRetry && retries < retry.retries && flow.spendRetry();

  for (;;) {
    const refusedUntil = breaker?.refusal();
    if (refusedUntil !== undefined) {
      throw new TransportError('circuit_open', `The circuit for ${host} is open after repeated failures.`, { retryAt: refusedUntil });
    }
    const startAt = flow.reserve();
    if (startAt >= call.deadline) {
      throw new TransportError('deadline_exceeded', `${host} is paused (rate limited) beyond the call's deadline.`, { retryAt: startAt });
    }
    if (startAt > clock.now()) await clock.sleep(startAt - clock.now(), call.signal);

    const applied = ctx.auth ? await ctx.auth.apply({ method, url }) : undefined;
    let headers: Record<string, string> = { ...call.headers, ...applied?.headers, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) };
    if (ctx.signing) headers = signedHeaders(ctx.signing, method, url, headers, call.body, clock.now());

    let response: IncomingResponse;
    const abort = attemptSignal(Math.max(1, call.deadline - clock.now()), call.signal);
    try {
      response = await ctx.transport.send({ method, url, headers, body: call.body, signal: abort.signal });
    } catch (error) {
      if (error instanceof PolicyError || !(error instanceof ClientError)) throw error;
      breaker?.failure();
      if (!isRetryableTransportError(error) || !canRetry()) throw error;
      await backOff(fullJitter(retries, retry, ctx.random), (error as TransportError).reason ?? error.code);
      continue;
    } finally {
      abort.done();
    }

    const { status } = response;
    const limit = parseRateLimit(response.headers);
    const spentUntil = limit ? flow.observe(limit) : undefined;
    const asked = retryAfterMs(response.headers, clock.now()) ?? (spentUntil === undefined ? undefined : spentUntil - clock.now());
    if (status === 429 || spentUntil !== undefined) {
      // A 429 or a spent quota pauses every call to this host, not only this one.
      const retryAt = clock.now() + (asked ?? fullJitter(retries, retry, ctx.random));
      flow.pause(retryAt);
      events.emit('rate_limited', { host, retryAt, status });
    }
    if (status === 401 && ctx.auth && applied) {
      events.emit('auth_failure', { host, status, strategy: ctx.auth.kind });
      if (!reauthenticated && (await ctx.auth.refused(applied))) {
        reauthenticated = true;
        continue;
      }
      throw httpError(method, url, status, response.headers, response.body, ctx.redactor);
    }
    if (status >= 500) breaker?.failure();
    else breaker?.success();

    if (retry.statuses.includes(status)) {
      const error = httpError(method, url, status, response.headers, response.body, ctx.redactor);
      if (!canRetry()) throw error;
      await backOff(asked ?? fullJitter(retries, retry, ctx.random), `status ${status}`);
      continue;
    }
    if (status >= 400) throw httpError(method, url, status, response.headers, response.body, ctx.redactor);
    flow.succeeded();
    return response;
  }
}

/**
 * Aborts one attempt at the call's deadline or when the caller's signal fires. A plain controller and
 * timer, cleared after the attempt: AbortSignal.timeout costs about ten times as much per call.
 */
function attemptSignal(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The call passed its deadline.', 'TimeoutError')), ms);
  const forward = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    },
  };
}

/** Failures that the circuit breaker counts and that the fallback and stale-if-error may stand in for. */
export function isUpstreamFailure(error: unknown): boolean {
  if (error instanceof HttpError) return error.status >= 500;
  return error instanceof TransportError;
}
