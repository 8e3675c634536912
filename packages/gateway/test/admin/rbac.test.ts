import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCredential } from '@portcullis/protocol';
import { permits } from '../../src/admin/admin-handler.js';
import type { AdminActor } from '../../src/admin/actor.js';
import type { AnyOperation } from '../../src/admin/operation.js';
import { ADMIN_OPERATIONS } from '../../src/admin/registry.js';
import { hasPermission, PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../../src/admin/roles.js';
import type { Role } from '../../src/admin/roles.js';
import { expectProblem, HOUR, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, Reply } from '../helpers/gateway.js';

/**
 * The permission matrix, over real HTTPS against a started gateway: every role against every operation
 * the admin API registers, plus a developer limited to one consumer, and the credentials that must get
 * 401 everywhere (none, malformed, unknown, revoked, expired).
 */
let g: CredentialGateway;
const tokens = {} as Record<Role | 'limited', { id: string; token: string }>;
let consumerA: string;

const as = (token: string | undefined) => ({ headers: { authorization: token === undefined ? undefined : `Bearer ${token}` } });

async function createToken(body: Record<string, unknown>, by = g.adminToken): Promise<{ id: string; token: string }> {
  const reply = await g.admin('POST', '/admin/v1/admin-tokens', body, as(by));
  expect(reply.status, reply.text).toBe(201);
  return reply.json() as { id: string; token: string };
}

/** A request each operation accepts up to its permission check: ids that name nothing, bodies that do not validate. */
function probe(operation: AnyOperation, token: string | undefined): Promise<Reply> {
  const path = `/admin/v1${operation.path.replace(/\{[a-zA-Z]+\}/g, 'zz_missing')}`;
  return g.admin(operation.method, path, operation.request.body ? { unexpected: true } : undefined, as(token));
}

beforeAll(async () => {
  g = await startCredentialGateway();
  consumerA = await g.createConsumer('rbac-a');
  for (const role of ROLES) tokens[role] = await createToken({ role, name: `${role} for the matrix` });
  tokens.limited = await createToken({ role: 'developer', consumers: [consumerA] });
});
afterAll(async () => g?.stop());

describe('every role against every endpoint', () => {
  it('registers the operations the matrix is about', () => {
    expect(ADMIN_OPERATIONS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(ADMIN_OPERATIONS.map((o) => o.id)).size).toBe(ADMIN_OPERATIONS.length);
  });

  for (const role of [...ROLES, 'limited'] as const) {
    it(`${role}: allowed exactly where the declared permission says`, async () => {
      const actor: AdminActor = { kind: 'token', id: 'x', role: role === 'limited' ? 'developer' : role, ...(role === 'limited' ? { consumers: ['x'] } : {}) };
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const operation of ADMIN_OPERATIONS) {
        const reply = await probe(operation, tokens[role].token);
        outcomes.push(`${operation.id}: ${reply.status === 403 ? 'deny' : reply.status === 401 ? 'unauthenticated' : 'allow'}`);
        expected.push(`${operation.id}: ${permits(actor, operation) ? 'allow' : 'deny'}`);
        if (reply.status === 403) expectProblem(reply, 403, 'forbidden');
        expect(reply.status, `${operation.id}: ${reply.text}`).toBeLessThan(500);
      }
      expect(outcomes).toEqual(expected);
    });
  }

  it('the matrix itself: docs/rbac.md in code', () => {
    // Owner and admin do everything; a developer manages consumers, keys and clients only; an auditor reads.
    for (const p of ['keyring:rotate', 'users:write', 'users:read', 'admin-tokens:write', 'admin-tokens:read', 'audit:read', 'incidents:write', 'signing-keys:write'] as const) {
      expect(hasPermission('developer', p), p).toBe(false);
    }
    for (const p of ['consumers:write', 'keys:write', 'clients:write'] as const) expect(hasPermission('developer', p), p).toBe(true);
    for (const p of ['audit:read', 'access:read', 'alerts:read'] as const) expect(hasPermission('auditor', p), p).toBe(true);
  });

  it('docs/rbac.md shows the matrix and every operation as the code has them', () => {
    const doc = readFileSync(new URL('../../../../docs/rbac.md', import.meta.url), 'utf8');
    for (const permission of PERMISSIONS) {
      expect(doc).toContain(`| \`${permission}\` | ${ROLES.map((r) => (ROLE_PERMISSIONS[r].has(permission) ? 'yes' : '-')).join(' | ')} |`);
    }
    for (const o of ADMIN_OPERATIONS) {
      expect(doc).toContain(`| \`${o.method} /admin/v1${o.path}\` | \`${o.permission}\` | ${o.scope === 'consumer' ? 'yes' : 'refused'} |`);
    }
  });

  it('an auditor writes nothing: every state-changing operation answers 403', async () => {
    const writes = ADMIN_OPERATIONS.filter((o) => o.method === 'POST' && o.id !== 'lookupKey');
    expect(writes.length).toBeGreaterThan(15);
    for (const operation of writes) expectProblem(await probe(operation, tokens.auditor.token), 403, 'forbidden');
  });

  it('a developer cannot touch the keyring, admin tokens, audit log or incidents', async () => {
    for (const id of ['rotateKeyring', 'createAdminToken', 'listAdminTokens', 'revokeAdminToken', 'listAuditEvents', 'consumerIncident', 'rotateSigningKeys']) {
      const operation = ADMIN_OPERATIONS.find((o) => o.id === id) as AnyOperation;
      expectProblem(await probe(operation, tokens.developer.token), 403, 'forbidden');
    }
  });
});

describe('credentials that are refused everywhere (401)', () => {
  const refusedEverywhere = async (token: string | undefined) => {
    for (const operation of ADMIN_OPERATIONS) {
      const reply = await probe(operation, token);
      expectProblem(reply, 401, 'invalid-credential');
      expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
  };

  it('no token', () => refusedEverywhere(undefined));
  it('a malformed token', () => refusedEverywhere('not-a-token'));
  it('a well-formed token the gateway never issued', () => refusedEverywhere(generateCredential('adminToken').value));

  it('a revoked token, at once', async () => {
    const t = await createToken({ role: 'admin' });
    expect((await g.admin('GET', '/admin/v1/consumers', undefined, as(t.token))).status).toBe(200);
    const revoked = await g.admin('POST', `/admin/v1/admin-tokens/${t.id}/revoke`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json()).toMatchObject({ id: t.id, status: 'revoked' });
    await refusedEverywhere(t.token);
  });

  it('an expired token, from the instant it expires', async () => {
    const t = await createToken({ role: 'auditor', expiresIn: '1h' });
    expect((await g.admin('GET', '/admin/v1/audit', undefined, as(t.token))).status).toBe(200);
    g.clock.advance(HOUR + 1);
    await refusedEverywhere(t.token);
    const listed = (await g.admin('GET', '/admin/v1/admin-tokens')).json() as { tokens: { id: string; status: string }[] };
    expect(listed.tokens.find((x) => x.id === t.id)?.status).toBe('expired');
  });
});
