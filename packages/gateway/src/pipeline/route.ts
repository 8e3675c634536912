import { parseRouteMatch, routeMatches } from '../config/route-match.js';
import type { RouteMatch } from '../config/route-match.js';
import type { ServiceConfig } from '../config/schema.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';

export interface CompiledRoute {
  readonly service: string;
  readonly match: RouteMatch;
  readonly scopes: readonly string[];
  readonly signature: 'required' | 'optional';
  readonly public: boolean;
  /** Index into the forwarder's upstream table. */
  readonly upstream: number;
}

export function compileRoutes(services: readonly ServiceConfig[]): CompiledRoute[] {
  return services.flatMap((service, upstream) =>
    service.routes.map((route) => {
      const parsed = parseRouteMatch(route.match);
      if (!parsed.ok) throw new TypeError(parsed.message); // the config schema already refused it
      return { service: service.name, match: parsed.match, scopes: route.scopes, signature: route.signature, public: route.public, upstream };
    }),
  );
}

const ENCODED_SEPARATOR = /%(2f|5c|00)/i;

/**
 * Splits and checks the request target. The path is matched in decoded form, the same form the upstream
 * will see, so `/%61dmin` cannot slip past a route written for `/admin`; dot segments and encoded
 * separators are refused outright rather than normalised (RFC 3986 §5.2.4 ambiguity is the attack).
 */
export function parseTarget(url: string | undefined): { path: string; query: string; segments: string[] } | Problem {
  if (!url || url.charCodeAt(0) !== 47 /* '/' */) return problem('bad-request', 'The request target must be an absolute path.');
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (path.includes('\\') || path.includes('//') || ENCODED_SEPARATOR.test(path)) {
    return problem('bad-request', 'The request path is not in canonical form.');
  }
  const segments = path === '/' ? [] : path.slice(1).split('/');
  if (segments.at(-1) === '') segments.pop(); // a trailing slash names the same resource for matching
  if (path.includes('%')) {
    for (let i = 0; i < segments.length; i++) {
      try {
        segments[i] = decodeURIComponent(segments[i] as string);
      } catch {
        return problem('bad-request', 'The request path is not validly percent-encoded.');
      }
    }
  }
  for (const segment of segments) {
    if (segment === '.' || segment === '..') return problem('bad-request', 'The request path is not in canonical form.');
  }
  return { path, query, segments };
}

export function findRoute(routes: readonly CompiledRoute[], method: string, segments: readonly string[]): CompiledRoute | undefined {
  for (const route of routes) if (routeMatches(route.match, method, segments)) return route;
  return undefined;
}

/** Query parameter names that carry credentials in other APIs (RFC 6750 §2.3 `access_token`, and kin). */
const CREDENTIAL_PARAMS = new Set(['access_token', 'api_key', 'apikey', 'api-key', 'x-api-key']);
const CREDENTIAL_SHAPE = /(?:^|[^0-9A-Za-z])pc[kas]_[0-9A-Za-z]{12}_|eyJ[A-Za-z0-9_-]{4,}\.eyJ/;

/** A credential in the query string ends up in logs, histories and Referer headers: refuse it (CONTRACT §3). */
export function hasCredentialInQuery(query: string): boolean {
  if (query === '') return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(query.replaceAll('+', ' '));
  } catch {
    decoded = query;
  }
  if (CREDENTIAL_SHAPE.test(decoded)) return true;
  for (const name of new URLSearchParams(query).keys()) if (CREDENTIAL_PARAMS.has(name.toLowerCase())) return true;
  return false;
}
