import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../../src/admin/admin-tokens.js';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, IssuedKey } from '../helpers/gateway.js';

/**
 * What a token may reach beyond its role: nobody grants a role above their own (mass assignment), a
 * developer limited to consumers sees the others' objects as absent (404, not 403), and every change
 * is in the audit log under the actor that made it, or not made at all.
 */
let g: CredentialGateway;
let a: string;
let b: string;
let keyA: IssuedKey;
let keyB: IssuedKey;
let clientB: string;
let dev: { id: string; token: string };
let admin: { id: string; token: string };

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function createToken(body: Record<string, unknown>, by = g.adminToken): Promise<{ id: string; token: string }> {
  const reply = await g.admin('POST', '/admin/v1/admin-tokens', body, as(by));
  expect(reply.status, reply.text).toBe(201);
  return reply.json() as { id: string; token: string };
}

async function tokenIds(): Promise<string[]> {
  return ((await g.admin('GET', '/admin/v1/admin-tokens')).json() as { tokens: { id: string }[] }).tokens.map((t) => t.id);
}

beforeAll(async () => {
  g = await startCredentialGateway();
  a = await g.createConsumer('limits-a');
  b = await g.createConsumer('limits-b');
  keyA = await g.createKey({ consumerId: a, scopes: ['companies:read'] });
  keyB = await g.createKey({ consumerId: b, scopes: ['companies:read'] });
  const client = await g.admin('POST', '/admin/v1/clients', { consumerId: b, scopes: ['companies:read'] });
  clientB = (client.json() as { client_id: string }).client_id;
  dev = await createToken({ role: 'developer', consumers: [a], name: 'team a' });
  admin = await createToken({ role: 'admin' });
});
afterAll(async () => g?.stop());

describe('mass assignment is refused', () => {
  it('an admin cannot create an owner token, and nothing is created', async () => {
    const before = await tokenIds();
    const reply = await g.admin('POST', '/admin/v1/admin-tokens', { role: 'owner' }, as(admin.token));
    const problem = expectProblem(reply, 403, 'forbidden');
    expect(problem.detail).toMatch(/the role admin cannot grant the role owner/);
    expect(await tokenIds()).toEqual(before);
  });

  it('an admin may create admin and lower roles', async () => {
    for (const role of ['admin', 'developer', 'auditor']) await createToken({ role }, admin.token);
  });

  it('an admin cannot revoke an owner token', async () => {
    const owner = await createToken({ role: 'owner' });
    expectProblem(await g.admin('POST', `/admin/v1/admin-tokens/${owner.id}/revoke`, undefined, as(admin.token)), 403, 'forbidden');
    expect((await g.admin('GET', '/admin/v1/consumers', undefined, as(owner.token))).status).toBe(200);
  });

  it('fields the API sets itself (id, hash, creator, status) are refused by name, and nothing is created', async () => {
    const before = await tokenIds();
    for (const extra of [{ id: 'adm_chosen' }, { secretHash: 'ab' }, { createdBy: 'system' }, { status: 'active' }, { revokedAt: null }]) {
      const reply = await g.admin('POST', '/admin/v1/admin-tokens', { role: 'auditor', ...extra }, as(admin.token));
      const problem = expectProblem(reply, 400, 'bad-request');
      expect(problem.errors).toEqual([expect.objectContaining({ field: Object.keys(extra)[0] })]);
    }
    expect(await tokenIds()).toEqual(before);
  });

  it('a consumer limit belongs to developer tokens only, and names existing consumers', async () => {
    expectProblem(await g.admin('POST', '/admin/v1/admin-tokens', { role: 'auditor', consumers: [a] }), 400, 'bad-request');
    expectProblem(await g.admin('POST', '/admin/v1/admin-tokens', { role: 'developer', consumers: ['con_nobody'] }), 404, 'not-found');
  });

  it('an actor limited to consumers (were its role ever to create tokens) passes its limit on, never widens it', async () => {
    const limited = { kind: 'session' as const, id: 'user:dev', role: 'developer' as const, consumers: [a] };
    await expect(createAdminToken(g.gateway.credentials, limited, { role: 'auditor' })).rejects.toMatchObject({ problem: { code: 'forbidden' } });
    await expect(createAdminToken(g.gateway.credentials, limited, { role: 'developer', consumers: [b] })).rejects.toMatchObject({ problem: { code: 'forbidden' } });
    const inherited = await createAdminToken(g.gateway.credentials, limited, { role: 'developer' });
    expect(inherited.record.consumers).toEqual([a]);
  });

  it('a developer cannot create tokens at all', async () => {
    expectProblem(await g.admin('POST', '/admin/v1/admin-tokens', { role: 'developer', consumers: [a] }, as(dev.token)), 403, 'forbidden');
  });
});

describe("a developer limited to consumers: another consumer's objects answer 404", () => {
  /** The body of a 404 for an id that names nothing, but for the id and request id. */
  const absent = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const reply = await g.admin(method, path, body, as(dev.token));
    return expectProblem(reply, 404, 'not-found');
  };

  it('consumer, its keys and clients: the same 404 as an id that names nothing', async () => {
    const missing = await absent('GET', '/admin/v1/consumers/con_nothing');
    const other = await absent('GET', `/admin/v1/consumers/${b}`);
    expect({ ...other, instance: '', detail: '' }).toEqual({ ...missing, instance: '', detail: '' });
    expect(other.detail).toBe(`no consumer with id ${b}`);
    expect((await absent('GET', `/admin/v1/keys/${keyB.id}`)).detail).toBe(`no key with id ${keyB.id}`);
    expect((await absent('GET', `/admin/v1/clients/${clientB}`)).detail).toBe(`no client with id ${clientB}`);
    await absent('GET', `/admin/v1/keys?consumer=${b}`);
    await absent('GET', `/admin/v1/clients?consumer=${b}`);
    await absent('POST', '/admin/v1/keys/lookup', { key: keyB.key });
  });

  it('writes to the other consumer are 404 and change nothing', async () => {
    await absent('POST', `/admin/v1/consumers/${b}/disable`);
    await absent('POST', `/admin/v1/keys/${keyB.id}/revoke`);
    await absent('POST', `/admin/v1/keys/${keyB.id}/rotate`, {});
    await absent('POST', '/admin/v1/keys', { consumerId: b, scopes: ['companies:read'] });
    await absent('POST', '/admin/v1/clients', { consumerId: b });
    await absent('POST', `/admin/v1/clients/${clientB}/revoke`);
    await absent('POST', `/admin/v1/consumers/${b}/signing-secrets`);
    expect((await g.callWith(keyB.key)).status).toBe(200);
    expect((await g.admin('GET', `/admin/v1/consumers/${b}`)).json()).toMatchObject({ status: 'active' });
    expect((await g.admin('GET', `/admin/v1/clients/${clientB}`)).json()).toMatchObject({ status: 'active' });
  });

  it('lists show only its own consumers, and its own consumer works as usual', async () => {
    const consumers = (await g.admin('GET', '/admin/v1/consumers', undefined, as(dev.token))).json() as { consumers: { id: string }[] };
    expect(consumers.consumers.map((c) => c.id)).toEqual([a]);
    const keys = (await g.admin('GET', '/admin/v1/keys', undefined, as(dev.token))).json() as { keys: { consumerId: string }[] };
    expect(keys.keys.length).toBeGreaterThan(0);
    expect(keys.keys.every((k) => k.consumerId === a)).toBe(true);
    const clients = (await g.admin('GET', '/admin/v1/clients', undefined, as(dev.token))).json() as { clients: unknown[] };
    expect(clients.clients).toEqual([]);
    expect((await g.admin('GET', `/admin/v1/keys/${keyA.id}`, undefined, as(dev.token))).status).toBe(200);
    expect((await g.admin('POST', '/admin/v1/keys', { consumerId: a, scopes: ['companies:read'] }, as(dev.token))).status).toBe(201);
  });

  it('cannot create consumers (they would be outside its limit)', async () => {
    expectProblem(await g.admin('POST', '/admin/v1/consumers', { name: 'sneaky' }, as(dev.token)), 403, 'forbidden');
  });
});

describe('every change is audited with its actor, or not made', () => {
  const events = async (query: string) =>
    ((await g.admin('GET', `/admin/v1/audit?${query}`)).json() as { events: { actor: string; action: string; target: string | null; detail: Record<string, unknown> }[] }).events;

  it('names the token that made each change', async () => {
    const key = (await g.admin('POST', '/admin/v1/keys', { consumerId: a }, as(dev.token))).json() as { id: string };
    expect(await events(`action=key.create&target=${key.id}`)).toEqual([expect.objectContaining({ actor: dev.id })]);
    const made = await createToken({ role: 'auditor' }, admin.token);
    expect(await events(`action=admin-token.create&target=${made.id}`)).toEqual([expect.objectContaining({ actor: admin.id, detail: expect.objectContaining({ role: 'auditor' }) })]);
    await g.admin('POST', `/admin/v1/admin-tokens/${made.id}/revoke`, undefined, as(admin.token));
    expect(await events(`action=admin-token.revoke&target=${made.id}`)).toEqual([expect.objectContaining({ actor: admin.id })]);
    const rotated = (await g.admin('POST', '/admin/v1/signing-keys/rotate', {}, as(admin.token))).json() as { kid: string };
    expect(await events(`action=signing-key.rotate&target=${rotated.kid}`)).toEqual([expect.objectContaining({ actor: admin.id })]);
  });

  it('never records a token value', async () => {
    const made = await createToken({ role: 'auditor' });
    const all = JSON.stringify(await events('limit=1000'));
    expect(all).not.toContain(made.token);
    expect(g.logs.text()).not.toContain(made.token);
  });

  it('when the audit write fails, the change fails with it', async () => {
    await g.gateway.db.query(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store down'; END $$`);
    await g.gateway.db.query('CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()');
    try {
      const before = await tokenIds();
      expectProblem(await g.admin('POST', '/admin/v1/admin-tokens', { role: 'auditor' }), 500, 'internal');
      expect(await tokenIds()).toEqual(before);
      expectProblem(await g.admin('POST', `/admin/v1/admin-tokens/${dev.id}/revoke`), 500, 'internal');
      expect((await g.admin('GET', '/admin/v1/consumers', undefined, as(dev.token))).status).toBe(200);
      expectProblem(await g.admin('POST', '/admin/v1/consumers', { name: 'unaudited' }), 500, 'internal');
      const names = ((await g.admin('GET', '/admin/v1/consumers')).json() as { consumers: { name: string }[] }).consumers.map((c) => c.name);
      expect(names).not.toContain('unaudited');
      expectProblem(await g.admin('POST', `/admin/v1/keys/${keyA.id}/revoke`), 500, 'internal');
      expect((await g.callWith(keyA.key)).status).toBe(200);
    } finally {
      await g.gateway.db.query('DROP TRIGGER refuse_audit ON audit_events');
    }
  });
});

describe('the bootstrap owner token', () => {
  it('works until it is revoked, then is refused at once', async () => {
    const owner = await createToken({ role: 'owner' });
    const bootstrap = ((await g.admin('GET', '/admin/v1/admin-tokens')).json() as { tokens: { id: string; name: string; role: string }[] }).tokens.find((t) => t.name === 'bootstrap');
    expect(bootstrap).toMatchObject({ role: 'owner' });
    expect((await g.admin('GET', '/admin/v1/consumers')).status).toBe(200);
    expect((await g.admin('POST', `/admin/v1/admin-tokens/${bootstrap?.id}/revoke`, undefined, as(owner.token))).status).toBe(200);
    expectProblem(await g.admin('GET', '/admin/v1/consumers'), 401, 'invalid-credential');
  });
});
