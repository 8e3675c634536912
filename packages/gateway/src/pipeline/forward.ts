import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { ServiceConfig } from '../config/schema.js';
import type { RequestContext } from './context.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { baseHeaders } from '../http/headers.js';
import { HOP_BY_HOP, isDroppedRequestHeader } from './client-headers.js';
import { BodyRefused } from './body-check.js';
import { CircuitBreaker, mayRetry } from './upstream-guard.js';

/** Response fields that describe the upstream's software: not the client's business. */
const UPSTREAM_DETAIL = new Set(['x-powered-by', 'server', 'x-aspnet-version', 'x-aspnetmvc-version']);
const RESPONSE_OWN = new Set(['strict-transport-security', 'x-request-id']);

export interface Upstream {
  readonly name: string;
  readonly pool: Pool;
  readonly host: string;
  readonly timeout: number;
  /** Extra attempts for idempotent requests without a body after a transport failure (`retries`). */
  readonly retries: number;
  readonly breaker: CircuitBreaker | undefined;
  /** Counts a request the open circuit refused. */
  readonly shortCircuited: () => void;
}

/** Told when a service's circuit opens or closes, and of each request it refused (metrics). */
export interface BreakerEvents {
  circuit(service: string, open: boolean): void;
  shortCircuited(service: string): void;
}

export function createUpstreams(services: readonly ServiceConfig[], events?: BreakerEvents): Upstream[] {
  return services.map((service) => {
    const url = new URL(service.upstream);
    const timeout = service.timeout;
    const pool = new Pool(url.origin, {
      connections: service.connections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: Math.min(timeout, 10_000),
      // Upstream TLS is always validated; a private CA may be added, never validation removed.
      ...(url.protocol === 'https:' ? { connect: { ca: service.ca ? readFileSync(service.ca) : undefined, minVersion: 'TLSv1.2' as const } } : {}),
    });
    const breaker = service.circuitBreaker
      ? new CircuitBreaker({ ...service.circuitBreaker, onChange: (open) => events?.circuit(service.name, open) })
      : undefined;
    const shortCircuited = () => events?.shortCircuited(service.name);
    return { name: service.name, pool, host: url.host, timeout, retries: service.retries, breaker, shortCircuited };
  });
}

function upstreamProblem(error: unknown): Problem {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return problem('gateway-timeout');
  }
  if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') return problem('unavailable');
  return problem('bad-gateway');
}

class BodyTooLarge extends Error {
  readonly code = 'PORTCULLIS_BODY_TOO_LARGE';
}
class BodyTimeout extends Error {
  readonly code = 'PORTCULLIS_BODY_TIMEOUT';
}
class ClientGone extends Error {
  readonly code = 'PORTCULLIS_CLIENT_GONE';
}

/** Counts request-body bytes as they stream, for bodies whose size is not declared up front. */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new BodyTooLarge('request body over the limit'));
    else done(null, chunk);
  }
}

/**
 * req -> each check, with any error carried to the last stream, which undici reads: the upstream exchange
 * is then aborted. Unlike stream.pipeline, the request itself is not destroyed, so its socket can still
 * carry our problem response.
 */
function chain(req: IncomingMessage, checks: readonly Transform[]): Readable {
  let tail: Readable = req;
  for (const check of checks) {
    tail.once('error', (error) => check.destroy(error));
    tail = tail.pipe(check);
  }
  return tail;
}

export interface ForwardLimits {
  readonly maxBodyBytes: number;
  readonly bodyTimeout: number;
  /** How long a response write may wait for a client that reads nothing before it is disconnected. */
  readonly sendTimeout: number;
  /** Pass request headers whose names hold `_` (config `headers.allowUnderscores`). */
  readonly allowUnderscoreHeaders: boolean;
}

export type ForwardOutcome =
  | { readonly status: number }
  /** `upstream`: the upstream failed to answer (counts against its circuit breaker, may be retried). */
  | { readonly problem: Problem; readonly cause?: unknown; readonly close?: boolean; readonly upstream?: boolean }
  /** The client went away mid-exchange: nothing to answer, and not the upstream's fault. */
  | { readonly clientGone: true };

function requestHeaders(req: IncomingMessage, ctx: RequestContext, upstream: Upstream, extra: readonly string[], allowUnderscores: boolean): string[] {
  const raw = req.rawHeaders;
  const connectionListed = req.headers.connection?.toLowerCase().split(',').map((s) => s.trim());
  const out: string[] = ['host', upstream.host];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (isDroppedRequestHeader(name, allowUnderscores)) continue;
    if (connectionListed?.includes(name)) continue;
    out.push(name, raw[i + 1] as string);
  }
  // Set from what the gateway knows; any client copy was dropped above.
  out.push('x-request-id', ctx.id, 'x-forwarded-for', ctx.clientIp, 'x-real-ip', ctx.clientIp, 'x-forwarded-proto', 'https');
  if (req.headers.host) out.push('x-forwarded-host', req.headers.host);
  for (const header of extra) out.push(header);
  return out;
}

/** Lengths of the names responseHeaders drops: a name of any other length is passed without lowercasing it. */
const DROPPED_RESPONSE_LENGTHS: ReadonlySet<number> = new Set([...HOP_BY_HOP, ...UPSTREAM_DETAIL, ...RESPONSE_OWN].map((name) => name.length));

/**
 * Response headers from the upstream's raw name/value buffers, filtered, plus our own. Only a name whose
 * length matches a dropped one is lowercased and looked up (field names are case-insensitive, so the
 * others pass as sent): most names never are (docs/performance.md).
 */
function responseHeaders(raw: readonly Buffer[], ctx: RequestContext): string[] {
  const out = baseHeaders(ctx.id);
  if (ctx.principal?.responseHeaders) out.push(...ctx.principal.responseHeaders);
  if (ctx.responseHeaders) out.push(...ctx.responseHeaders);
  let connectionListed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const rawName = raw[i] as Buffer;
    const name = rawName.toString('latin1');
    if (DROPPED_RESPONSE_LENGTHS.has(rawName.length)) {
      const lower = name.toLowerCase();
      if (lower === 'connection') connectionListed = (raw[i + 1] as Buffer).toString('latin1').toLowerCase().split(',').map((v) => v.trim());
      if (HOP_BY_HOP.has(lower) || UPSTREAM_DETAIL.has(lower) || RESPONSE_OWN.has(lower)) continue;
    }
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  // `Connection: keep-alive` (the usual case) names only fields dropped above already.
  const extra = connectionListed?.filter((name) => !HOP_BY_HOP.has(name));
  if (!extra?.length) return out;
  const listed = new Set(extra);
  const named = (i: number) => !listed.has((out[i - (i % 2)] as string).toLowerCase());
  return out.filter((_, i) => named(i));
}

function failure(error: Error): ForwardOutcome {
  if (error instanceof ClientGone) return { clientGone: true };
  if (error instanceof BodyTooLarge) return { problem: problem('payload-too-large'), cause: error, close: true };
  if (error instanceof BodyTimeout) return { problem: problem('request-timeout'), cause: error, close: true };
  if (error instanceof BodyRefused) return { problem: error.problem, cause: error, close: true };
  return { problem: upstreamProblem(error), cause: error, upstream: true };
}

/**
 * One proxied exchange on undici's native handler interface: raw header buffers, an abort function
 * instead of an AbortSignal, and backpressure by return value. It is the lowest-overhead way through
 * undici, which matters on the hot path (docs/performance.md).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private abortUpstream: ((error?: Error) => void) | undefined;
  /** undici's: reads the upstream again once the client has taken what was written. */
  private resume: (() => void) | undefined;
  private pending: Error | undefined;
  private status = 0;
  private settled = false;
  /** Runs while the client's socket is full; a client that never drains it is cut off. */
  private stalled: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly ctx: RequestContext,
    private readonly settle: (outcome: ForwardOutcome) => void,
    private readonly bodyTimer: NodeJS.Timeout | undefined,
    private readonly sendTimeout: number,
  ) {}

  /** Stops the upstream exchange (client gone, body too slow). */
  abort(error: Error): void {
    if (this.abortUpstream) this.abortUpstream(error);
    else this.pending = error;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.pending) abort(this.pending);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // interim 1xx answers are not passed on
    this.status = statusCode;
    this.resume = resume;
    this.res.writeHead(statusCode, responseHeaders(rawHeaders, this.ctx));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // Backpressure: undici stops reading the upstream until 'drain', so nothing piles up here; a client
    // that never reads again would hold both connections for good, so it is cut off. Listened for only
    // now: most answers never fill the socket, and a listener per request was measurable.
    if (this.stalled === undefined) {
      this.stalled = setTimeout(() => this.res.destroy(), this.sendTimeout);
      this.res.once('drain', () => {
        clearTimeout(this.stalled);
        this.stalled = undefined;
        this.resume?.();
      });
    }
    return false;
  }

  onComplete(): void {
    this.res.end();
    this.finish({ status: this.status });
  }

  onError(error: Error): void {
    this.finish(failure(error));
  }

  private finish(outcome: ForwardOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.bodyTimer);
    clearTimeout(this.stalled);
    this.settle(outcome);
  }
}

/** Told the outcome of a forwarded exchange, once. */
export type ForwardDone = (outcome: ForwardOutcome) => void;

/**
 * Streams the request to the upstream and the response back. `identityHeaders` are the X-Portcullis-*
 * fields (flat name/value list) set by earlier stages. `done` is called once the exchange has finished
 * or failed. An open circuit answers 503 at once; a transport failure of an idempotent request without a
 * body is retried up to the service's `retries` (only before any of the answer was sent).
 *
 * A callback rather than a promise: the common case (no breaker, no retries) then costs no promise, no
 * `then` and no microtask per request (docs/performance.md).
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  upstream: Upstream,
  limits: ForwardLimits,
  identityHeaders: readonly string[],
  done: ForwardDone,
): void {
  if (upstream.breaker === undefined && upstream.retries === 0) return exchangeOnce(req, res, ctx, upstream, limits, identityHeaders, done);
  const once = () => new Promise<ForwardOutcome>((resolve) => exchangeOnce(req, res, ctx, upstream, limits, identityHeaders, resolve));
  // A throw in the guard is a fault of ours: the same answer as any other (500, connection closed).
  guardedForward(req, res, upstream, once).then(done, (error: unknown) => done({ problem: problem('internal'), cause: error, close: true }));
}

/** `once` under the service's circuit breaker and retries. */
async function guardedForward(req: IncomingMessage, res: ServerResponse, upstream: Upstream, once: () => Promise<ForwardOutcome>): Promise<ForwardOutcome> {
  const admitted = upstream.breaker?.admit() ?? { trial: false };
  if (typeof admitted === 'number') {
    upstream.shortCircuited();
    return { problem: problem('unavailable', undefined, { 'retry-after': String(Math.ceil(admitted / 1000)) }) };
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  for (let attempt = 0; ; attempt++) {
    const outcome = await once();
    const failed = 'problem' in outcome && outcome.upstream === true;
    if (failed && attempt < upstream.retries && !res.headersSent && !res.destroyed && mayRetry(req.method ?? '', hasBody, outcome.cause)) continue;
    // An answer or a failure of the upstream is a verdict; a refused body or a client gone is none.
    if ('status' in outcome || failed) upstream.breaker?.record(!failed, admitted.trial);
    else if (admitted.trial) upstream.breaker?.release();
    return outcome;
  }
}

function exchangeOnce(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  upstream: Upstream,
  limits: ForwardLimits,
  identityHeaders: readonly string[],
  done: ForwardDone,
): void {
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (declared !== undefined && Number(declared) > limits.maxBodyBytes) return done({ problem: problem('payload-too-large'), close: true });
  let body: Readable | null = null;
  let bodyTimer: NodeJS.Timeout | undefined;
  if (chunked || (declared !== undefined && declared !== '0')) {
    const checks = [...(chunked ? [new ByteLimit(limits.maxBodyBytes)] : []), ...(ctx.bodyTransform ? [ctx.bodyTransform] : [])];
    body = chain(req, checks);
    bodyTimer = setTimeout(() => exchange.abort(new BodyTimeout('request body too slow')), limits.bodyTimeout);
    req.once('end', () => clearTimeout(bodyTimer));
  }
  const exchange = new Exchange(res, ctx, done, bodyTimer, limits.sendTimeout);
  // A client that hangs up should not keep the upstream working for nobody. ('close' comes once per
  // response: `on` spares the once-wrapper.)
  res.on('close', () => {
    if (!res.writableFinished) exchange.abort(new ClientGone('client closed the connection'));
  });
  upstream.pool.dispatch(
    {
      path: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
      method: req.method as Dispatcher.HttpMethod,
      headers: requestHeaders(req, ctx, upstream, identityHeaders, limits.allowUnderscoreHeaders),
      body,
    },
    exchange,
  );
}
