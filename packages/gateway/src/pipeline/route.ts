import { parseRouteMatch, routeMatches } from '../config/route-match.js';
import type { RouteMatch } from '../config/route-match.js';
import type { RateLimitConfig, ServiceConfig } from '../config/schema.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { findCredentials } from '@portcullis/protocol';

export interface CompiledRoute {
  readonly service: string;
  /** The route's `match` text as configured, e.g. `GET /companies/*` (a bounded label for records). */
  readonly pattern: string;
  readonly match: RouteMatch;
  readonly scopes: readonly string[];
  readonly signature: 'required' | 'optional';
  readonly public: boolean;
  /** Index into the forwarder's upstream table. */
  readonly upstream: number;
  /** This route's own per-consumer limit, replacing the service's. */
  readonly rateLimit: RateLimitConfig | undefined;
  /** Route limits tighter than the global ones. */
  readonly limits: { readonly maxBodyBytes?: number | undefined; readonly maxHeaderBytes?: number | undefined };
}

export function compileRoutes(services: readonly ServiceConfig[]): CompiledRoute[] {
  return services.flatMap((service, upstream) =>
    service.routes.map((route) => {
      const parsed = parseRouteMatch(route.match);
      if (!parsed.ok) throw new TypeError(parsed.message); // the config schema already refused it
      return {
        service: service.name, pattern: route.match.trim().replace(/\s+/g, ' '), match: parsed.match, scopes: route.scopes, signature: route.signature, public: route.public, upstream,
        rateLimit: route.rateLimit, limits: route.limits ?? {},
      };
    }),
  );
}

/**
 * Raw path text that two parsers could read differently: an encoded `/`, `\`, NUL, `;`, `.` or `%`
 * (double encoding, read twice by some servers), a raw `\`, an empty segment, and `;` matrix
 * parameters, which Tomcat, Jetty and Spring strip before resolving dot segments (`/files/..;/admin`
 * is `/admin` to them).
 */
const AMBIGUOUS_RAW = /%(?:2f|5c|00|3b|2e|25)|[\\;]|\/\//i;
/** Decoded characters no canonical segment holds: controls (trimmed or split on by some servers). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;
/**
 * After compatibility normalisation (NFKC, as some frameworks apply): fullwidth `／`, `＼`, `；`, `．`
 * become separators and dots. A segment of dots alone, or of dots and trailing spaces (Windows trims
 * them), is a dot segment to someone.
 */
const NORMALISES_TO_SEPARATOR = /[/\\;%]/;
const DOT_SEGMENT = /^\.+[\s.]*$/;

/** Could another parser read this decoded segment as a dot segment or a separator? */
function ambiguousSegment(segment: string): boolean {
  if (DOT_SEGMENT.test(segment) || CONTROL.test(segment)) return true;
  if (/^[\x20-\x7e]*$/.test(segment)) return false; // plain ASCII: nothing more to normalise
  const compat = segment.normalize('NFKC');
  return NORMALISES_TO_SEPARATOR.test(compat) || DOT_SEGMENT.test(compat) || CONTROL.test(compat);
}

const NOT_CANONICAL = problem('bad-request', 'The request path is not in canonical form.');

/**
 * Splits and checks the request target. The path is matched in decoded form, the same form the upstream
 * will see, so `/%61dmin` cannot slip past a route written for `/admin`. Anything a second parser could
 * resolve to another path (dot segments in any spelling, matrix parameters, encoded separators) is
 * refused outright rather than normalised: RFC 3986 §5.2.4 ambiguity is the attack, and the upstream
 * receives the path exactly as it was matched.
 */
export function parseTarget(url: string | undefined): { path: string; query: string; segments: string[] } | Problem {
  if (!url || url.charCodeAt(0) !== 47 /* '/' */) return problem('bad-request', 'The request target must be an absolute path.');
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (AMBIGUOUS_RAW.test(path)) return NOT_CANONICAL;
  const segments = path === '/' ? [] : path.slice(1).split('/');
  if (segments.at(-1) === '') segments.pop(); // a trailing slash names the same resource for matching
  for (let i = 0; i < segments.length; i++) {
    let segment = segments[i] as string;
    if (segment.includes('%')) {
      try {
        segment = segments[i] = decodeURIComponent(segment);
      } catch {
        return problem('bad-request', 'The request path is not validly percent-encoded.');
      }
    }
    if (ambiguousSegment(segment)) return NOT_CANONICAL;
  }
  return { path, query, segments };
}

export function findRoute(routes: readonly CompiledRoute[], method: string, segments: readonly string[]): CompiledRoute | undefined {
  for (const route of routes) if (routeMatches(route.match, method, segments)) return route;
  return undefined;
}

/**
 * Query parameter names that carry credentials in other APIs (RFC 6750 §2.3 `access_token`, and kin),
 * compared after the folding some frameworks do: case, and `-`, `.`, space and `[` read as `_` (PHP).
 */
const CREDENTIAL_PARAMS = new Set(['access_token', 'api_key', 'apikey', 'x_api_key']);
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ/;

function foldParamName(name: string): string {
  return name.toLowerCase().replace(/\[\]$/, '').replace(/[-. []/g, '_');
}

function holdsCredential(text: string): boolean {
  return findCredentials(text).length > 0 || JWT_SHAPE.test(text);
}

/**
 * A credential in the query string ends up in logs, histories and Referer headers: refuse it (CONTRACT
 * §3). Decided on every form an upstream might read: the raw text, and each parameter decoded the
 * lenient WHATWG way (an invalid escape elsewhere does not stop the rest from decoding), once and twice,
 * with `;` as a separator too.
 */
export function hasCredentialInQuery(query: string): boolean {
  if (query === '') return false;
  if (holdsCredential(query)) return true;
  // Every listed name holds `access` or `api`: a plain query without them needs no further parsing.
  if (!query.includes('%') && !/access|api/i.test(query)) return false;
  for (const [name, value] of new URLSearchParams(query.replaceAll(';', '&'))) {
    if (CREDENTIAL_PARAMS.has(foldParamName(name))) return true;
    for (const text of [name, value]) {
      if (holdsCredential(text)) return true;
      if (text.includes('%')) {
        const twice = new URLSearchParams(`x=${text.replaceAll('&', '%26').replaceAll('+', '%2B')}`).get('x') ?? '';
        if (holdsCredential(twice) || CREDENTIAL_PARAMS.has(foldParamName(twice))) return true;
      }
    }
  }
  return false;
}
