import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { RequestContext } from './context.js';
import { createClientIpResolver, createContext } from './identify.js';
import { forward } from './forward.js';
import type { ForwardLimits, Upstream } from './forward.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { baseHeaders } from '../http/headers.js';
import { sendProblem } from '../http/respond.js';
import { findRoute, hasCredentialInQuery, parseTarget } from './route.js';
import type { CompiledRoute } from './route.js';
import { accessRecordOf } from './access-record.js';
import type { AccessRecord } from '../observe/access-records.js';
import { propagatingTracer } from '../observe/tracing.js';
import type { RequestTracer } from '../observe/tracing.js';

/**
 * A stage that may refuse: it returns a Problem, or undefined to let the request go on. Async stages
 * (authenticate) may return a promise; synchronous ones stay synchronous so the hot path allocates no
 * promise it does not need.
 */
export type Stage = (req: IncomingMessage, ctx: RequestContext) => Problem | undefined | Promise<Problem | undefined>;

export interface DataPlaneOptions {
  readonly routes: readonly CompiledRoute[];
  readonly upstreams: readonly Upstream[];
  readonly limits: ForwardLimits;
  readonly trustedProxies: readonly string[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly accessLog: boolean;
  /**
   * identify -> route -> [the route's stages, in order] -> forward. Called once per route at start, so a
   * public route simply has no authentication stage (as fastify compiles hooks per route).
   */
  readonly stagesFor: (route: CompiledRoute) => readonly Stage[];
  /** Called once a request has passed every stage, just before it is forwarded (e.g. to record a key's use). */
  readonly admitted?: (ctx: RequestContext) => void;
  readonly ready: () => Promise<boolean>;
  /** Optional dependencies reported by /readyz without failing it, e.g. `{ redis: 'down' }`. */
  readonly dependencies?: () => Promise<Readonly<Record<string, 'up' | 'down'>>>;
  readonly isDraining: () => boolean;
  /** Receives every finished request's record (metrics, access records, anomaly rules); must not block. */
  readonly onFinish?: (record: Omit<AccessRecord, 'at'>) => void;
  /** W3C traceparent to the upstream, and spans when an exporter is configured. */
  readonly tracer?: RequestTracer;
}

/** Identity facts for the upstream: set only by us, any client copy was dropped in forward. */
function identityHeaders(ctx: RequestContext): string[] {
  const p = ctx.principal;
  const out = p ? ['x-portcullis-consumer', p.consumerId, 'x-portcullis-scopes', p.scopesHeader, 'x-portcullis-credential-kind', p.credentialKind] : [];
  if (ctx.span) out.push('traceparent', ctx.span.traceparent);
  return out;
}

export function createDataPlaneHandler(options: DataPlaneOptions) {
  const resolveClientIp = createClientIpResolver(options.trustedProxies);
  const { logger, metrics, routes, upstreams, limits } = options;
  const compiled = new Map(routes.map((route) => [route, options.stagesFor(route)] as const));
  const routeLimits = new Map(
    routes.map((route) => [route, route.limits.maxBodyBytes === undefined ? limits : { ...limits, maxBodyBytes: Math.min(limits.maxBodyBytes, route.limits.maxBodyBytes) }] as const),
  );
  const tracer = options.tracer ?? propagatingTracer;

  // Each (route, status) child is looked up once, keyed by the route object: no label text per request.
  const counters = new Map<CompiledRoute | undefined, Map<number, { inc(): void }>>();
  function countRequest(route: CompiledRoute | undefined, status: number): void {
    let byStatus = counters.get(route);
    if (!byStatus) counters.set(route, (byStatus = new Map()));
    let counter = byStatus.get(status);
    if (!counter) byStatus.set(status, (counter = metrics.requests.labels(route?.service ?? '-', route?.pattern ?? '-', String(status))));
    counter.inc();
  }

  function finish(req: IncomingMessage, ctx: RequestContext, status: number, refusal?: Problem, cause?: unknown): void {
    const service = ctx.route?.service ?? '-';
    countRequest(ctx.route, status);
    ctx.span?.end({ status, service: ctx.route?.service ?? null, route: ctx.route?.pattern ?? null, method: req.method ?? 'GET' });
    options.onFinish?.(accessRecordOf(req, ctx, status, refusal));
    if (cause !== undefined) {
      const err = cause as { code?: string; message?: string };
      logger.warn({ requestId: ctx.id, service, problem: refusal?.code, cause: { code: err.code, message: err.message } }, 'request failed');
    }
    if (options.accessLog) {
      logger.info(
        {
          requestId: ctx.id, method: req.method, path: ctx.path, status, service, clientIp: ctx.clientIp,
          consumer: ctx.principal?.consumerId, problem: refusal?.code,
          ms: Math.round((performance.now() - ctx.startedAt) * 100) / 100,
        },
        'request',
      );
    }
  }

  function refuse(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, p: Problem, close = false, cause?: unknown): void {
    sendProblem(res, ctx.id, p, { close: close || options.isDraining() });
    finish(req, ctx, res.statusCode, p, cause);
  }

  async function health(res: ServerResponse, ctx: RequestContext, ready: boolean): Promise<void> {
    const ok = ready ? await options.ready() : true;
    const dependencies = ready && options.dependencies ? await options.dependencies() : {};
    const body = JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...dependencies });
    res.writeHead(ok ? 200 : 503, [...baseHeaders(ctx.id), 'content-type', 'application/json', 'cache-control', 'no-store']);
    res.end(body);
  }

  /**
   * The route's stages from `from` on, then forward. Synchronous stages (public routes, keys found in the
   * cache) run in a plain loop: only a stage that returns a promise costs one, and the rest continue
   * when it settles (docs/performance.md).
   */
  function runStages(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, from = 0): void {
    const route = ctx.route as CompiledRoute;
    const stages = compiled.get(route) as readonly Stage[];
    for (let i = from; i < stages.length; i++) {
      const refusal = (stages[i] as Stage)(req, ctx);
      if (refusal instanceof Promise) {
        refusal.then((p) => (p ? refuse(req, res, ctx, p) : runStages(req, res, ctx, i + 1))).catch((error: unknown) => failed(req, res, ctx, error));
        return;
      }
      if (refusal) return refuse(req, res, ctx, refusal);
    }
    options.admitted?.(ctx);
    const forwardedAt = performance.now();
    forward(req, res, ctx, upstreams[route.upstream] as Upstream, routeLimits.get(route) as ForwardLimits, identityHeaders(ctx), (outcome) => {
      // Called from undici's callbacks: a throw here must become our 500, not undici's problem.
      try {
        ctx.upstreamMs = performance.now() - forwardedAt;
        if ('clientGone' in outcome) {
          logger.debug({ requestId: ctx.id }, 'client closed the connection before the response was complete');
          finish(req, ctx, 499); // nginx's "client closed request": counted, but not as a gateway failure
        } else if ('problem' in outcome) refuse(req, res, ctx, outcome.problem, outcome.close, outcome.cause);
        else finish(req, ctx, outcome.status);
      } catch (error) {
        failed(req, res, ctx, error);
      }
    });
  }

  /** A stage or the forwarder threw: a 500 on a closed connection, and the cause logged. */
  function failed(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, error: unknown): void {
    refuse(req, res, ctx, problem('internal'), true, error);
  }

  return function handleDataPlaneRequest(req: IncomingMessage, res: ServerResponse): void {
    const ctx = createContext(req, resolveClientIp);
    const url = req.url;
    if (url === '/healthz' || url === '/readyz') {
      void health(res, ctx, url === '/readyz');
      return;
    }
    ctx.span = tracer.start(req.headers.traceparent);
    const target = parseTarget(url);
    if ('code' in target) return refuse(req, res, ctx, target);
    ctx.path = target.path;
    ctx.query = target.query;
    if (hasCredentialInQuery(target.query)) return refuse(req, res, ctx, problem('credential-in-query'));
    const method = req.method ?? 'GET';
    ctx.route = findRoute(routes, method, target.segments);
    if (!ctx.route) return refuse(req, res, ctx, problem('not-found'));
    try {
      runStages(req, res, ctx);
    } catch (error) {
      failed(req, res, ctx, error);
    }
  };
}
