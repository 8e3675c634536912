import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { ClientError, PolicyError, TransportError } from '../errors.js';
import type { EgressPolicy } from './egress-policy.js';
import { hostOf } from './egress-policy.js';

export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array | string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface IncomingResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The URL that answered, after redirects. */
  readonly url: URL;
}

export interface TransportOptions {
  /** Extra trust anchors (PEM), added to Node's public roots: how tests and private PKIs work. */
  ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** Largest response body read, in bytes. */
  maxResponseBytes?: number;
  /** Redirects followed per request, each checked against the egress policy. */
  maxRedirects?: number;
  /** Connections kept per origin; further calls queue. Default 16. */
  maxConnections?: number;
}

export interface Transport {
  send(request: OutgoingRequest): Promise<IncomingResponse>;
  /** The undici dispatcher, for the token endpoint calls that go through the same TLS and egress rules. */
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry a credential: never sent to another origin after a redirect (RFC 9110 §15.4). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'dpop', 'signature', 'signature-input', 'x-api-key'];

/**
 * HTTPS only, TLS 1.2 minimum, certificate validation always on: there is deliberately no option to
 * turn it off (a custom `ca` is the way to trust a private PKI), and no pinning.
 */
export function createTransport(policy: EgressPolicy, options: TransportOptions = {}): Transport {
  const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  const agent = new Agent({
    connections: options.maxConnections ?? 16,
    connect: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra.map(String)] } : {}),
      lookup: policy.lookup,
    },
  });
  const maxBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 5;

  const once = async (request: OutgoingRequest): Promise<IncomingResponse> => {
    policy.check(request.url);
    let response: Dispatcher.ResponseData;
    try {
      response = await agent.request({
        origin: request.url.origin,
        path: request.url.pathname + request.url.search,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal ?? null,
      });
    } catch (error) {
      throw transportFailure(error, request.url);
    }
    const body = await readBody(response.body, maxBytes, request.url);
    return { status: response.statusCode, headers: flattenHeaders(response.headers), body, url: request.url };
  };

  return {
    dispatcher: agent,
    async send(request) {
      let current = request;
      for (let hop = 0; ; hop++) {
        const response = await once(current);
        const location = response.headers.location;
        if (!REDIRECTS.has(response.status) || location === undefined) return response;
        if (hop >= maxRedirects) {
          throw new TransportError('too_many_redirects', `More than ${maxRedirects} redirects from ${hostOf(request.url)}.`);
        }
        current = redirected(current, response.status, new URL(location, current.url));
      }
    },
    close: () => agent.close(),
  };
}

/** The next request of a redirect chain: 303 (and 301/302 after POST) become GET; credentials stay on their origin. */
function redirected(previous: OutgoingRequest, status: number, next: URL): OutgoingRequest {
  const toGet = status === 303 || ((status === 301 || status === 302) && previous.method === 'POST');
  const headers = { ...previous.headers };
  if (next.origin !== previous.url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  if (toGet) {
    delete headers['content-type'];
    delete headers['content-digest'];
  }
  return { ...previous, url: next, headers, method: toGet ? 'GET' : previous.method, body: toGet ? undefined : previous.body };
}

async function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number, url: URL): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        body.destroy();
        throw new TransportError('transport_failed', `The response from ${hostOf(url)} exceeds ${maxBytes} bytes.`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw transportFailure(error, url);
  }
  return Buffer.concat(chunks);
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Error codes that mean the request may not have been processed and may be sent again. */
export const RETRYABLE_ERROR_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

/**
 * A typed error for a failed exchange. The message names the host and the error code only: a
 * low-level message can quote a URL with its query string, which may hold a secret.
 */
function transportFailure(error: unknown, url: URL): ClientError {
  if (error instanceof ClientError) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof PolicyError) return cause;
  const code = errorCode(error);
  const name = (error as Error).name;
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'UND_ERR_ABORTED') {
    return new TransportError('timeout', `The request to ${hostOf(url)} was aborted (deadline or caller).`, { cause: error });
  }
  return new TransportError('transport_failed', `The request to ${hostOf(url)} failed (${code ?? 'unknown error'}).`, {
    cause: error,
    ...(code === undefined ? {} : { reason: code }),
  });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Whether a transport failure may be retried: resets and refused connections, not TLS or policy failures. */
export function isRetryableTransportError(error: unknown): boolean {
  if (!(error instanceof TransportError) || error.code !== 'transport_failed') return false;
  return error.reason !== undefined && RETRYABLE_ERROR_CODES.has(error.reason);
}
