import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { problem } from '../http/problems.js';
import { baseHeaders } from '../http/headers.js';
import { sendJson, sendLines, sendProblem } from '../http/respond.js';
import type { ActorResolver, AdminActor } from './actor.js';
import { adminProblemFor } from './errors.js';
import { readJson, refuse } from './http.js';
import { compilePath, JsonLines } from './operation.js';
import type { AnyOperation } from './operation.js';
import { hasPermission } from './roles.js';
import type { AdminServices } from './services.js';

const UNAUTHORIZED = problem('invalid-credential', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });

export interface AdminHandlerOptions {
  readonly operations: readonly AnyOperation[];
  readonly services: AdminServices;
  /** Tried in order; the first actor found wins (the admin-token resolver, then the console's session). */
  readonly resolvers: readonly ActorResolver[];
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly ready: () => Promise<boolean>;
}

/**
 * Whether the actor may call the operation: the one place the permission matrix (roles.ts) is enforced,
 * from the operation's own declaration, for tokens and console sessions alike. An actor limited to
 * consumers reaches only operations that hide the other consumers' objects.
 */
export function permits(actor: AdminActor, operation: AnyOperation): boolean {
  return hasPermission(actor.role, operation.permission) && (actor.consumers === undefined || operation.scope === 'consumer');
}

async function resolveActor(resolvers: readonly ActorResolver[], req: IncomingMessage): Promise<AdminActor | undefined> {
  for (const resolve of resolvers) {
    const actor = await resolve(req);
    if (actor) return actor;
  }
  return undefined;
}

/** The admin listener: health, metrics, and the authenticated admin API under /admin/v1. */
export function createAdminHandler(options: AdminHandlerOptions) {
  const { services, metrics, logger } = options;
  const routes = options.operations.map((operation) => ({ operation, ...compilePath(operation.path) }));

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
    const actor = await resolveActor(options.resolvers, req);
    if (!actor) {
      metrics.authFailures.inc({ reason: 'admin-token' });
      return sendProblem(res, requestId, UNAUTHORIZED);
    }
    const allowed: string[] = [];
    for (const { operation, pattern, names } of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      if (operation.method !== req.method) {
        allowed.push(operation.method);
        continue;
      }
      if (!permits(actor, operation)) return sendProblem(res, requestId, problem('forbidden'));
      const params = operation.request.params ? operation.request.params.parse(Object.fromEntries(names.map((name, i) => [name, match[i + 1]]))) : {};
      if (operation.request.query) checkQuery(operation, url.searchParams);
      const body = operation.request.body ? await readJson(req, operation.request.body) : undefined;
      const reply = await operation.handle({ req, actor, params, query: url.searchParams, body }, services);
      const status = operation.response.status;
      logger.info({ requestId, actor: actor.id, actorKind: actor.kind, operation: operation.id, method: req.method, path, status }, 'admin request');
      return reply instanceof JsonLines ? sendLines(res, requestId, reply.lines) : sendJson(res, requestId, status, reply);
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

/** The declared query schema, checked before the operation runs; each problem names its parameter. */
function checkQuery(operation: AnyOperation, query: URLSearchParams): void {
  const result = operation.request.query.safeParse(Object.fromEntries(query));
  if (result.success) return;
  const issue = result.error.issues[0];
  refuse('bad-request', `Query parameter "${String(issue?.path[0] ?? '')}": ${issue?.message ?? 'not valid'}.`);
}
