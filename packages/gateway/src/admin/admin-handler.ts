import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { problem } from '../http/problems.js';
import { baseHeaders } from '../http/headers.js';
import { sendJson, sendLines, sendProblem } from '../http/respond.js';
import type { Database } from '../store/sql.js';
import { verifyAdminToken } from './admin-tokens.js';
import type { AdminIdentity } from './admin-tokens.js';
import { adminProblemFor } from './errors.js';
import type { AdminRoute } from './routes.js';

const UNAUTHORIZED = problem('invalid-credential', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });

export interface AdminHandlerOptions {
  readonly db: Database;
  readonly routes: readonly AdminRoute[];
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly ready: () => Promise<boolean>;
  /** Who else may call the admin API without a bearer token (console sessions): tried in order. */
  readonly resolvers?: readonly ((req: IncomingMessage) => Promise<{ readonly id: string; readonly role: AdminIdentity['role'] } | undefined>)[];
}

async function resolveOther(options: AdminHandlerOptions, req: IncomingMessage): Promise<AdminIdentity | undefined> {
  for (const resolve of options.resolvers ?? []) {
    const actor = await resolve(req);
    if (actor) return { tokenId: actor.id, role: actor.role };
  }
  return undefined;
}

/** The admin listener: health, metrics, and the authenticated admin API under /admin/v1. */
export function createAdminHandler(options: AdminHandlerOptions) {
  const { db, routes, metrics, logger } = options;

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://admin.invalid');
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      const ok = path === '/healthz' || (await options.ready());
      return sendJson(res, requestId, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    }
    if (req.method === 'GET' && path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, [...baseHeaders(requestId), 'content-type', String(metrics.registry.contentType)]);
      res.end(text);
      return;
    }
    if (!path.startsWith('/admin/v1/')) return sendProblem(res, requestId, problem('not-found'));
    if (url.search && /(^|[?&])(access_token|token|admin_token)=/i.test(url.search)) {
      return sendProblem(res, requestId, problem('credential-in-query'));
    }
    const bearer = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const admin = bearer ? await verifyAdminToken(db, bearer) : await resolveOther(options, req);
    if (!admin) {
      metrics.authFailures.inc({ reason: 'admin-token' });
      return sendProblem(res, requestId, UNAUTHORIZED);
    }
    const allowed: string[] = [];
    for (const route of routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      if (route.method !== req.method) {
        allowed.push(route.method);
        continue;
      }
      // Auditors read; other roles may also change credentials; some routes name their roles.
      const permitted = route.roles ? route.roles.includes(admin.role) : route.method === 'GET' || admin.role !== 'auditor';
      if (!permitted) return sendProblem(res, requestId, problem('forbidden'));
      const reply = await route.handle({ req, params: match.slice(1), query: url.searchParams, admin });
      logger.info({ requestId, admin: admin.tokenId, method: req.method, path, status: reply.status }, 'admin request');
      return reply.lines ? sendLines(res, requestId, reply.lines) : sendJson(res, requestId, reply.status, reply.body);
    }
    if (allowed.length === 0) return sendProblem(res, requestId, problem('not-found'));
    sendProblem(res, requestId, problem('method-not-allowed', undefined, { allow: allowed.join(', ') })); // RFC 9110 §15.5.6
  }

  return function handleAdminRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      const mapped = adminProblemFor(error);
      if (mapped.internal) {
        logger.error({ requestId, err: { message: (error as Error).message, code: (error as { code?: string }).code } }, 'admin request failed');
      }
      sendProblem(res, requestId, mapped.problem);
    });
  };
}
