import type { IncomingMessage } from 'node:http';
import type { RequestContext } from './context.js';
import { inRanges, parseClientIp } from '../http/ip-ranges.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';

const FORBIDDEN: Problem = problem('forbidden');

/** `*.example.com` matches any subdomain (not the apex); anything else must match exactly. */
export function originAllowed(originHeader: string | undefined, allowed: readonly string[]): boolean {
  if (!originHeader || originHeader === 'null') return false;
  let host: string;
  try {
    host = new URL(originHeader).hostname.toLowerCase();
  } catch {
    return false;
  }
  for (const entry of allowed) {
    if (entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry) return true;
  }
  return false;
}

/**
 * Allow-lists first (a stolen key used from elsewhere learns nothing about scopes), then scopes.
 * 403 either way: the credential is valid, the request is not allowed (RFC 6750 §3.1).
 */
export function authorize(req: IncomingMessage, ctx: RequestContext): Problem | undefined {
  const principal = ctx.principal;
  const route = ctx.route;
  if (!principal || !route) return undefined; // public route
  if (principal.ipRanges && principal.ipRanges.length > 0) {
    const ip = parseClientIp(ctx.clientIp);
    if (!ip || !inRanges(ip, principal.ipRanges)) return FORBIDDEN;
  }
  if (principal.allowedOrigins && principal.allowedOrigins.length > 0) {
    if (!originAllowed(req.headers.origin, principal.allowedOrigins)) return FORBIDDEN;
  }
  const missing = route.scopes.filter((scope) => !principal.scopes.has(scope));
  if (missing.length > 0) {
    return problem('insufficient-scope', undefined, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${route.scopes.join(' ')}"`,
    });
  }
  return undefined;
}
