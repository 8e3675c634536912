import type { IncomingMessage } from 'node:http';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { RefusalAudit } from '../observe/refusal-audit.js';
import type { Principal, RequestContext } from './context.js';
import type { Stage } from './data-plane.js';
import { inRanges, parseClientIp } from '../http/ip-ranges.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { INVALID_CREDENTIAL } from './refusals.js';

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

/** Why an authenticated credential may not be used here; internal only (metrics, logs, audit). */
export type AllowListMiss = 'ip-not-allowed' | 'origin-not-allowed';

export interface AuthorizeOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Where the key's owner can see allow-list refusals (the audit log, batched). */
  readonly refusals?: RefusalAudit;
}

/**
 * Allow-lists first, then scopes. An allow-list miss gets the very 401 of a bad credential (the reason
 * only in metrics, the debug log and the audit log): a stolen key used from elsewhere learns neither that it is good
 * nor what it may do. Only a caller who passed every other check can see 403 insufficient_scope.
 * A protected route without a principal is refused: if authentication did not run, fail closed.
 */
export function createAuthorizeStage(options: AuthorizeOptions): Stage {
  const { metrics, logger, refusals } = options;

  function failClosed(ctx: RequestContext): Problem {
    metrics.authFailures.inc({ reason: 'no-principal' });
    logger.error({ requestId: ctx.id, service: ctx.route?.service }, 'protected route reached authorization without a credential: refusing (fail closed)');
    return INVALID_CREDENTIAL;
  }

  function refuse(req: IncomingMessage, ctx: RequestContext, principal: Principal, reason: AllowListMiss): Problem {
    metrics.authFailures.inc({ reason });
    logger.debug({ requestId: ctx.id, reason, credentialId: principal.credentialId, clientIp: ctx.clientIp }, 'credential refused');
    refusals?.record(principal.credentialId, principal.consumerId, reason, ctx.clientIp, req.headers.origin);
    return INVALID_CREDENTIAL;
  }

  return function authorize(req: IncomingMessage, ctx: RequestContext): Problem | undefined {
    const route = ctx.route;
    if (!route) return failClosed(ctx);
    if (route.public) return undefined;
    const principal = ctx.principal;
    if (!principal) return failClosed(ctx);
    if (principal.ipRanges !== undefined) {
      const ip = parseClientIp(ctx.clientIp);
      if (!ip || !inRanges(ip, principal.ipRanges)) return refuse(req, ctx, principal, 'ip-not-allowed');
    }
    if (principal.allowedOrigins && principal.allowedOrigins.length > 0) {
      if (!originAllowed(req.headers.origin, principal.allowedOrigins)) return refuse(req, ctx, principal, 'origin-not-allowed');
    }
    for (const scope of route.scopes) {
      if (!principal.scopes.has(scope)) {
        return problem('insufficient-scope', undefined, {
          'www-authenticate': `Bearer error="insufficient_scope", scope="${route.scopes.join(' ')}"`,
        });
      }
    }
    return undefined;
  };
}
