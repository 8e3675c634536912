import type { Transform } from 'node:stream';
import type { IpRange } from '../http/ip-ranges.js';
import type { RequestSpan } from '../observe/tracing.js';
import type { CompiledRoute } from './route.js';

/** Who the caller is, once the authenticate stage has accepted a credential. */
export interface Principal {
  readonly consumerId: string;
  readonly credentialId: string;
  /** Sent upstream as X-Portcullis-Credential-Kind. */
  readonly credentialKind: 'api-key' | 'oauth';
  readonly scopes: ReadonlySet<string>;
  /** The scopes, space-separated, as sent upstream. */
  readonly scopesHeader: string;
  /** The credential's IP allow-list, parsed; undefined = any address, empty = none (fails closed). */
  readonly ipRanges?: readonly IpRange[];
  /** The credential's Origin allow-list (hosts or `*.example.com`); empty = any. */
  readonly allowedOrigins?: readonly string[];
  /** Response headers the credential asks for, e.g. Deprecation/Sunset on an ageing key. */
  readonly responseHeaders?: readonly string[];
}

/** The one typed record a request carries through the stages; no stage reaches into another's state. */
export interface RequestContext {
  readonly id: string;
  /** performance.now() at arrival, for the access log and the latency metric. */
  readonly startedAt: number;
  /** The caller's address: the socket peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  clientIp: string;
  /** The raw path (no query string) as received, after validation. */
  path: string;
  query: string;
  route: CompiledRoute | undefined;
  principal: Principal | undefined;
  /** ms spent in the forward stage (upstream wait and response streaming), once it ran. */
  upstreamMs?: number;
  /** This request's trace span (W3C traceparent to the upstream). */
  span?: RequestSpan;
  /** Name/value pairs a stage adds to a successful response (e.g. RateLimit). */
  responseHeaders: string[] | undefined;
  /** A check on the request body as it streams to the upstream (e.g. Content-Digest); it errors with BodyRefused. */
  bodyTransform: Transform | undefined;
}
