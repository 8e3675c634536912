import type { IncomingMessage } from 'node:http';
import type { Problem } from '../http/problems.js';
import type { AccessRecord } from '../observe/access-records.js';
import { scrubSecrets } from '../observe/logger.js';
import type { RequestContext } from './context.js';

/** The access record of a finished request (the recorder stamps the time). Path only: no query, no body. */
export function accessRecordOf(req: IncomingMessage, ctx: RequestContext, status: number, refusal: Problem | undefined): Omit<AccessRecord, 'at'> {
  const p = ctx.principal;
  return {
    requestId: ctx.id,
    consumerId: p?.consumerId ?? null,
    credentialId: p?.credentialId ?? null,
    credentialKind: p?.credentialKind ?? null,
    service: ctx.route?.service ?? null,
    route: ctx.route?.pattern ?? null,
    method: req.method ?? 'GET',
    // A key pasted into a path by mistake must not be kept: the same scrub the log lines get.
    path: scrubSecrets(ctx.path || (req.url ?? '').split('?')[0] || '/').slice(0, 2048),
    status,
    latencyMs: Math.round((performance.now() - ctx.startedAt) * 100) / 100,
    upstreamMs: ctx.upstreamMs === undefined ? null : Math.round(ctx.upstreamMs * 100) / 100,
    clientIp: ctx.clientIp,
    problem: refusal?.code ?? null,
  };
}
