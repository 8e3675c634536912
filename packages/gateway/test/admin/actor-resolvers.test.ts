import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorResolver, AdminActor } from '../../src/admin/actor.js';
import { createAdminHandler } from '../../src/admin/admin-handler.js';
import { refuse } from '../../src/admin/http.js';
import { defineOperation } from '../../src/admin/operation.js';
import type { AdminServices } from '../../src/admin/services.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { captureLogs } from '../helpers/log-capture.js';

/**
 * The seam other sign-ins plug into: the admin handler asks its resolvers in order, the first actor
 * wins, a resolver may refuse outright (a session without its CSRF token), and the permission check
 * is the same whatever kind of actor it found. A plain-HTTP server around the real handler.
 */
const whoAmI = defineOperation({
  id: 'whoAmI',
  method: 'POST',
  path: '/who-am-i',
  summary: 'test',
  permission: 'consumers:write',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the actor', schema: z.object({ kind: z.string(), id: z.string() }) },
  handle: async ({ actor }) => ({ kind: actor.kind, id: actor.id }),
});

/** A stand-in for the console's session resolver: a cookie names the session; POST needs the CSRF header. */
const sessions: Record<string, AdminActor> = {
  s_admin: { kind: 'session', id: 'user:ada', role: 'admin' },
  s_auditor: { kind: 'session', id: 'user:aud', role: 'auditor' },
};
const sessionResolver: ActorResolver = async (req: IncomingMessage) => {
  const id = /(?:^|;\s*)sid=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
  const actor = id ? sessions[id] : undefined;
  if (actor && req.method !== 'GET' && req.headers['x-csrf-token'] !== `csrf-${id}`) refuse('forbidden', 'the CSRF token is missing or wrong');
  return actor;
};
const tokenResolver: ActorResolver = async (req) => (req.headers.authorization === 'Bearer good' ? { kind: 'token', id: 'tok1', role: 'developer' } : undefined);

let server: Server;
let origin: string;

beforeAll(async () => {
  const handler = createAdminHandler({
    operations: [whoAmI],
    services: {} as AdminServices,
    resolvers: [tokenResolver, sessionResolver],
    metrics: createMetrics(),
    logger: captureLogs().logger,
    ready: async () => true,
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = async (headers: Record<string, string>) => {
  const res = await request(`${origin}/admin/v1/who-am-i`, { method: 'POST', headers });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};

describe('actor resolvers', () => {
  it('the first resolver that finds an actor wins; its kind and id reach the operation', async () => {
    expect(await post({ authorization: 'Bearer good', cookie: 'sid=s_admin', 'x-csrf-token': 'csrf-s_admin' })).toEqual({ status: 200, body: { kind: 'token', id: 'tok1' } });
    expect(await post({ cookie: 'sid=s_admin', 'x-csrf-token': 'csrf-s_admin' })).toEqual({ status: 200, body: { kind: 'session', id: 'user:ada' } });
  });

  it('the same permission check for a session as for a token', async () => {
    const denied = await post({ cookie: 'sid=s_auditor', 'x-csrf-token': 'csrf-s_auditor' });
    expect(denied.status).toBe(403);
    expect(denied.body.type).toBe('urn:portcullis:problem:forbidden');
  });

  it('a resolver may refuse outright: a state-changing request without its CSRF token', async () => {
    const refused = await post({ cookie: 'sid=s_admin' });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe('the CSRF token is missing or wrong');
  });

  it('no resolver finds an actor: 401', async () => {
    expect((await post({ cookie: 'sid=nobody' })).status).toBe(401);
    expect((await post({})).status).toBe(401);
  });
});
