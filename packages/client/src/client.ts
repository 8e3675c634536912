import { performance } from 'node:perf_hooks';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { inProcessLock } from './auth/lock.js';
import type { AuthFactory, AuthRuntime, AuthStrategy } from './auth/strategy.js';
import { ResponseCache } from './cache/response-cache.js';
import type { CacheOptions, CachedResponse } from './cache/response-cache.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { ClientError, PolicyError } from './errors.js';
import { EventHub } from './observe/events.js';
import type { ClientEventListeners, ClientEventName, ClientEvents } from './observe/events.js';
import { redactingLogger } from './observe/logger.js';
import type { Logger } from './observe/logger.js';
import { Redactor } from './observe/redact.js';
import { createTelemetry } from './observe/telemetry.js';
import { isUpstreamFailure, sendWithRetries } from './request/attempts.js';
import type { AttemptContext } from './request/attempts.js';
import { applyQuery, expandPath } from './request/path-template.js';
import type { ParamValue, QueryValue } from './request/path-template.js';
import { parseBody } from './request/response.js';
import type { ClientResponse } from './request/response.js';
import type { SigningOptions } from './request/sign.js';
import { validate } from './request/validate.js';
import { resolveRetry } from './resilience/backoff.js';
import type { RetryOptions } from './resilience/backoff.js';
import { CircuitBreaker } from './resilience/circuit-breaker.js';
import type { CircuitOptions } from './resilience/circuit-breaker.js';
import { HostFlow } from './resilience/host-flow.js';
import { createEgressPolicy, hostOf } from './transport/egress-policy.js';
import { createTransport } from './transport/https-transport.js';

/** Hosts whose flow and circuit state a client keeps; the least recently added go first. */
const MAX_TRACKED_HOSTS = 1000;

/** One lock for every client of this process, so two clients sharing a refresh token take turns. */
const processLock = inProcessLock();

export interface ClientOptions {
  /** Where relative paths go, e.g. `https://api.example.com/v1`. https only. */
  baseUrl: string;
  /** Hosts the client may call (redirects included): exact names or `*.suffix`. Token endpoints are added. */
  allowedHosts: readonly string[];
  /** Private, loopback or link-local addresses (or CIDRs) that may be reached; all others are refused. */
  allowAddresses?: readonly string[];
  auth?: AuthFactory;
  /** Extra trust anchors (PEM) for a private PKI. There is no way to turn certificate validation off. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Backoff and retry budget; `false` or `{ retries: 0 }` for no retries at all. */
  retry?: RetryOptions | false;
  /** Adapt to the server's RateLimit headers by spacing calls when the quota runs low. Default on. */
  rateLimit?: { throttle?: boolean };
  /** Per-host circuit breaker; `false` to disable. */
  circuitBreaker?: CircuitOptions | false;
  /** Stands in when a host fails or its circuit is open. Return undefined to let the error through. */
  fallback?: (context: FallbackContext) => unknown;
  /** Opt-in encrypted cache for GET (per call with `cache: true`, or per route with `cache.routes`). */
  cache?: CacheOptions;
  /** RFC 9421 signatures on every request, through @portcullis/protocol. */
  signing?: SigningOptions;
  /** A pino (or pino-compatible) logger. Everything logged is redacted first. */
  logger?: Logger;
  /** More field and header names to redact (PII), e.g. `['email', 'iban']`. */
  redact?: readonly string[];
  /** Overall deadline of a call, retries and waits included, ms. Default 30 000. */
  timeout?: number;
  /** Event listeners; `client.on()` adds more. */
  events?: ClientEventListeners;
  /** Headers sent on every call. */
  headers?: Readonly<Record<string, string>>;
  /** Largest response body accepted, bytes. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Connections per origin; further calls queue. Default 16. */
  maxConnections?: number;
  /** For tests: time and randomness. */
  clock?: Clock;
  random?: () => number;
}

export interface FallbackContext {
  readonly method: string;
  readonly url: URL;
  readonly error: ClientError;
  /** The last cached response for this URL, when the call was cacheable and one is kept. */
  readonly cached: ClientResponse<unknown> | undefined;
}

export interface CallOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Values for the `{name}` placeholders of the path; each is encoded as one path segment. */
  params?: Readonly<Record<string, ParamValue>>;
  query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Validates `body` before anything is sent. */
  bodySchema?: StandardSchemaV1;
  /** Validates (and types) the response data. */
  schema?: S;
  headers?: Readonly<Record<string, string>>;
  timeout?: number;
  retry?: RetryOptions | false;
  /** Use the cache for this GET (default: whether the route is listed in cache.routes). */
  cache?: boolean;
  /** For POST and PATCH: the Idempotency-Key to send, or `false` to send none (then no retries). */
  idempotencyKey?: string | false;
  signal?: AbortSignal;
}

type Data<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;
type Call = <S extends StandardSchemaV1 | undefined = undefined>(path: string, options?: CallOptions<S>) => Promise<ClientResponse<Data<S>>>;

export interface Client {
  get: Call;
  post: Call;
  put: Call;
  patch: Call;
  delete: Call;
  request<S extends StandardSchemaV1 | undefined = undefined>(method: string, path: string, options?: CallOptions<S>): Promise<ClientResponse<Data<S>>>;
  on<E extends ClientEventName>(name: E, listener: (event: ClientEvents[E]) => void): () => void;
  /** How many times each event fired, for metrics. */
  readonly counters: Readonly<Record<ClientEventName, number>>;
  close(): Promise<void>;
}

/**
 * A client for one API: https only, egress limited to `allowedHosts`, authenticated, retried with
 * backoff that honours the server, logged with secrets redacted.
 *
 * @example
 * const api = createClient({ baseUrl: 'https://api.example.com', allowedHosts: ['api.example.com'], auth: auth.apiKey({ key: fromEnv('API_KEY') }) });
 * const { data } = await api.get('/companies/{id}', { params: { id: '42' } });
 */
export function createClient(options: ClientOptions): Client {
  const base = parseBaseUrl(options?.baseUrl);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const redactor = new Redactor(options.redact);
  const log = redactingLogger(options.logger, redactor);
  const telemetry = createTelemetry();
  const events = new EventHub(options.events, (name, event) => {
    telemetry.event(name);
    log(name === 'retry' || name === 'token_refreshed' ? 'info' : 'warn', { event: name, ...event }, name);
  });
  const endpoints = options.auth?.endpoints ?? [];
  const policy = createEgressPolicy({
    allowedHosts: [...(options.allowedHosts ?? []), ...endpoints.map(hostOf)],
    ...(options.allowAddresses ? { allowAddresses: options.allowAddresses } : {}),
  });
  policy.check(base);
  const transport = createTransport(policy, {
    ca: options.ca,
    ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
  });
  const retryDefaults = resolveRetry(options.retry);
  const timeout = requireTimeout(options.timeout ?? 30_000, 'timeout');
  const cache = options.cache ? new ResponseCache(options.cache, clock, redactor.remember) : undefined;
  const runtime: AuthRuntime = {
    clock,
    events,
    remember: redactor.remember,
    transport,
    defaultLock: processLock,
    fetch: async (url, init = {}) => {
      const response = await transport.send({
        method: init.method ?? 'GET',
        url: new URL(url),
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        body: fetchBody(init.body),
        // A token endpoint that never answers must not hold every call forever.
        signal: init.signal ?? AbortSignal.timeout(timeout),
      });
      return new Response(response.status === 204 ? null : new Uint8Array(response.body), { status: response.status, headers: response.headers });
    },
  };
  const auth: AuthStrategy | undefined = options.auth?.create(runtime);
  const defaultHeaders = lowerCaseKeys({ accept: 'application/json', ...options.headers });

  const hosts = new Map<string, { flow: HostFlow; breaker: CircuitBreaker | undefined }>();
  const hostParts = (host: string) => {
    let parts = hosts.get(host);
    if (!parts) {
      parts = {
        flow: new HostFlow(clock, retryDefaults, options.rateLimit?.throttle ?? true),
        breaker:
          options.circuitBreaker === false
            ? undefined
            : new CircuitBreaker(clock, options.circuitBreaker ?? {}, (open, retryAt) =>
                open ? events.emit('circuit_open', { host, retryAt }) : events.emit('circuit_closed', { host }),
              ),
      };
      hosts.set(host, parts);
      // Bounded: with `*.suffix` entries the set of hosts is open-ended (STYLE.md: bound what can grow).
      if (hosts.size > MAX_TRACKED_HOSTS) hosts.delete(hosts.keys().next().value as string);
    }
    return parts;
  };

  async function request<S extends StandardSchemaV1 | undefined>(method: string, path: string, call: CallOptions<S> = {}): Promise<ClientResponse<Data<S>>> {
    const verb = method.toUpperCase();
    const url = resolveUrl(base, path, call);
    policy.check(url);
    const host = hostOf(url);
    const body = call.body === undefined ? undefined : JSON.stringify(call.bodySchema ? await validate(call.bodySchema, call.body, 'invalid_input', 'The request body') : call.body);
    const started = performance.now();
    const span = telemetry.start(verb, url);
    const cacheable = cache !== undefined && verb === 'GET' && (call.cache ?? cache.routeCached(path));
    let cached: CachedResponse | undefined;
    try {
      if (cacheable) {
        cached = await cache.get(url);
        if (cached && clock.now() <= cached.freshUntil) return await finish(fromCache(cached, false), call.schema);
      }
      const { flow, breaker } = hostParts(host);
      const context: AttemptContext = { clock, random, transport, auth, signing: options.signing, events, redactor, log, flow, breaker };
      const response = await sendWithRetries(context, {
        method: verb,
        url,
        host,
        headers: {
          ...defaultHeaders,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...lowerCaseKeys(call.headers ?? {}),
        },
        body,
        retry: call.retry === undefined ? retryDefaults : resolveRetry(call.retry),
        deadline: clock.now() + requireTimeout(call.timeout ?? timeout, 'call timeout'),
        idempotencyKey: call.idempotencyKey,
        signal: call.signal,
      });
      if (cacheable) await cache.put(url, response.status, response.headers, response.body);
      log('debug', { method: verb, host, path: url.pathname, status: response.status }, 'call done');
      telemetry.end(span, started, verb, url, { status: response.status });
      const parsed = parseBody(response.headers, response.body);
      return await finish({ status: response.status, headers: response.headers, data: parsed, fromCache: false, stale: false, fallback: false }, call.schema);
    } catch (error) {
      const stand = await standIn(verb, url, error, cached);
      telemetry.end(span, started, verb, url, { error: error instanceof ClientError ? error.code : 'error' });
      log('warn', { method: verb, host, path: url.pathname, error, servedBy: stand ? (stand.fallback ? 'fallback' : 'stale cache') : undefined }, 'call failed');
      if (stand) return await finish(stand, call.schema);
      throw error;
    }
  }

  /** stale-if-error first (RFC 5861), then the fallback hook; only for upstream failures, never for policy or auth. */
  async function standIn(method: string, url: URL, error: unknown, cached: CachedResponse | undefined): Promise<ClientResponse<unknown> | undefined> {
    if (!isUpstreamFailure(error)) return undefined;
    if (cached && clock.now() <= cached.staleIfErrorUntil) return fromCache(cached, true);
    if (!options.fallback) return undefined;
    const data = await options.fallback({ method, url, error: error as ClientError, cached: cached ? fromCache(cached, true) : undefined });
    if (data === undefined) return undefined;
    return { status: cached?.status ?? 200, headers: {}, data, fromCache: false, stale: false, fallback: true };
  }

  const call = (method: string): Call => (path, callOptions) => request(method, path, callOptions);
  return {
    get: call('GET'),
    post: call('POST'),
    put: call('PUT'),
    patch: call('PATCH'),
    delete: call('DELETE'),
    request,
    on: (name, listener) => events.on(name, listener),
    counters: events.counters,
    close: () => transport.close(),
  };
}

/** The bodies oauth4webapi sends: form parameters or JSON text. */
function fetchBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams) return String(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('token requests carry a string, URLSearchParams or bytes body');
}

function fromCache(entry: CachedResponse, stale: boolean): ClientResponse<unknown> {
  return { status: entry.status, headers: entry.headers, data: parseBody(entry.headers, entry.body), fromCache: true, stale, fallback: false };
}

async function finish<S extends StandardSchemaV1 | undefined>(response: ClientResponse<unknown>, schema: S | undefined): Promise<ClientResponse<Data<S>>> {
  if (!schema) return response as ClientResponse<Data<S>>;
  return { ...response, data: (await validate(schema, response.data, 'invalid_response', 'The response')) as Data<S> };
}

function parseBaseUrl(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError('baseUrl must be an absolute https URL, e.g. baseUrl: "https://api.example.com".');
  }
  if (url.protocol !== 'https:') {
    throw new PolicyError('protocol_not_allowed', `baseUrl must use https: (got ${url.protocol}): the client never sends a request in clear text.`, url.hostname);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** A path template under baseUrl, or an absolute URL (which must pass the same policy). */
function resolveUrl(base: URL, path: string, call: CallOptions<StandardSchemaV1 | undefined>): URL {
  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    url = new URL(path);
    if (call.params) url.pathname = expandPath(decodeURI(url.pathname), call.params);
  } else {
    url = new URL(expandPath(path, call.params).slice(1), base);
  }
  applyQuery(url, call.query);
  return url;
}

function requireTimeout(value: number, option: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${option} must be a positive number of milliseconds, e.g. 30000.`);
  return value;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
