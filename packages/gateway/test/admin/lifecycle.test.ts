import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR, companiesService, expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/**
 * The life of an API key through a real gateway over TLS, driven only through the admin API (as the CLI
 * does) and the data plane, with a fake clock for grace periods, expiry and key age.
 */

let t: CredentialGateway;

beforeAll(async () => {
  t = await startCredentialGateway((url) => ({ keys: { maxAge: '90d', warnAge: '30d' }, services: [companiesService(url)] }));
});
afterAll(async () => {
  await t?.stop();
});

interface KeyView {
  id: string;
  consumerId: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  rotationDue: boolean;
  rotatedTo: string | null;
  [field: string]: unknown;
}

async function listKeys(consumerId: string): Promise<KeyView[]> {
  const reply = await t.admin('GET', `/admin/v1/keys?consumer=${consumerId}`);
  expect(reply.status).toBe(200);
  return (reply.json() as { keys: KeyView[] }).keys;
}

describe('the admin API refuses callers without a valid admin token', () => {
  const apiKeyShaped = generateCredential('apiKey').value;
  const unknownAdminToken = generateCredential('adminToken').value;
  it.each([
    ['no Authorization header', { authorization: undefined }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a Basic scheme', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }],
    ['an admin token that was never issued', { authorization: `Bearer ${unknownAdminToken}` }],
    ['an API key instead of an admin token', { authorization: `Bearer ${apiKeyShaped}` }],
    ['garbage', { authorization: 'Bearer not-a-token' }],
  ])('401 problem for %s', async (_name, headers) => {
    const reply = await t.admin('GET', '/admin/v1/consumers', undefined, { headers });
    expectProblem(reply, 401, 'invalid-credential');
    expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('401 for a mistyped admin token (one character changed)', async () => {
    const typo = t.adminToken.slice(0, 10) + (t.adminToken[10] === 'a' ? 'b' : 'a') + t.adminToken.slice(11);
    expectProblem(await t.admin('GET', '/admin/v1/consumers', undefined, { headers: { authorization: `Bearer ${typo}` } }), 401, 'invalid-credential');
  });

  it('accepts the token the gateway wrote to dataDir/admin.token', async () => {
    expect((await t.admin('GET', '/admin/v1/consumers')).status).toBe(200);
  });
});

describe('issuing and using a key', () => {
  let consumerId: string;
  let issued: { id: string; key: string };

  beforeAll(async () => {
    consumerId = await t.createConsumer();
    issued = await t.createKey({ consumerId, scopes: ['companies:read'] });
  });

  it('shows the key once at creation and never again', async () => {
    expect(issued.key.startsWith(`pck_${issued.id}_`)).toBe(true);
    const [listed] = await listKeys(consumerId);
    expect(listed).toMatchObject({ id: issued.id, consumerId, status: 'active', scopes: ['companies:read'], rotationDue: false });
    const single = await t.admin('GET', `/admin/v1/keys/${issued.id}`);
    for (const text of [JSON.stringify(listed), single.text]) {
      expect(text).not.toContain(issued.key.slice(issued.id.length + 5));
      expect(text).not.toMatch(/"(key|secret|secretHash|secret_hash|hash)"/);
    }
  });

  it('accepts the key as Authorization: Bearer and forwards who called, without the credential', async () => {
    const reply = await t.callWith(issued.key);
    expect(reply.status).toBe(200);
    const seen = t.upstream.seen.at(-1);
    expect(seen?.headers['x-portcullis-consumer']).toBe(consumerId);
    expect(seen?.headers['x-portcullis-scopes']).toBe('companies:read');
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers['x-api-key']).toBeUndefined();
    expect(JSON.stringify(seen?.rawHeaders)).not.toContain(issued.key);
  });

  it('accepts the key as X-API-Key and does not forward that header either', async () => {
    const reply = await t.call('/companies/2', { headers: { 'x-api-key': issued.key } });
    expect(reply.status).toBe(200);
    const seen = t.upstream.seen.at(-1);
    expect(seen?.url).toBe('/companies/2');
    expect(seen?.headers['x-portcullis-consumer']).toBe(consumerId);
    expect(seen?.headers['x-portcullis-scopes']).toBe('companies:read');
    expect(seen?.headers['x-api-key']).toBeUndefined();
    expect(seen?.headers.authorization).toBeUndefined();
  });

  it('drops identity headers a client forges, keeping the ones the gateway set', async () => {
    await t.callWith(issued.key, '/companies/3', { headers: { 'x-portcullis-consumer': 'con_forged', 'x-portcullis-scopes': 'admin:all' } });
    const seen = t.upstream.seen.at(-1);
    expect(seen?.headers['x-portcullis-consumer']).toBe(consumerId);
    expect(seen?.headers['x-portcullis-scopes']).toBe('companies:read');
  });
});

describe('rotation, revocation and disabling', () => {
  let consumerId: string;
  let old: { id: string; key: string };
  let successor: { id: string; key: string };

  beforeAll(async () => {
    consumerId = await t.createConsumer();
    old = await t.createKey({ consumerId, scopes: ['companies:read'] });
    expect((await t.callWith(old.key)).status).toBe(200); // cached from here on
  });

  it('keeps the old key working alongside its successor during the grace period', async () => {
    const reply = await t.admin('POST', `/admin/v1/keys/${old.id}/rotate`, { grace: '1h' });
    expect(reply.status, reply.text).toBe(201);
    const body = reply.json() as { id: string; key: string; replaces: string; graceEndsAt: string; scopes: string[] };
    expect(body.replaces).toBe(old.id);
    expect(body.scopes).toEqual(['companies:read']);
    expect(Date.parse(body.graceEndsAt)).toBe(t.clock.now + HOUR);
    successor = body;
    expect((await t.callWith(old.key)).status).toBe(200);
    expect((await t.callWith(successor.key)).status).toBe(200);
    t.clock.advance(HOUR - 1);
    expect((await t.callWith(old.key)).status).toBe(200);
    const [listedOld] = (await listKeys(consumerId)).filter((k) => k.id === old.id);
    expect(listedOld).toMatchObject({ status: 'rotating', rotatedTo: successor.id });
  });

  it('refuses the old key once the grace period has passed, the successor still works', async () => {
    t.clock.advance(1);
    expectProblem(await t.callWith(old.key), 401, 'invalid-credential');
    expect((await t.callWith(successor.key)).status).toBe(200);
  });

  it('refuses to rotate a key that is no longer active (409 problem)', async () => {
    expectProblem(await t.admin('POST', `/admin/v1/keys/${old.id}/rotate`, {}), 409, 'conflict');
  });

  it('refuses a revoked key at once, with no clock advance and no wait (cache invalidated)', async () => {
    const reply = await t.admin('POST', `/admin/v1/keys/${successor.id}/revoke`);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json()).toMatchObject({ id: successor.id, status: 'revoked' });
    const refused = await t.callWith(successor.key);
    expectProblem(refused, 401, 'invalid-credential');
    expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses to rotate a revoked key (409 problem)', async () => {
    expectProblem(await t.admin('POST', `/admin/v1/keys/${successor.id}/rotate`, { grace: '1h' }), 409, 'conflict');
  });

  it('answers revoking a revoked key again with the same revoked key (idempotent)', async () => {
    const reply = await t.admin('POST', `/admin/v1/keys/${successor.id}/revoke`);
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ id: successor.id, status: 'revoked' });
  });

  it("refuses all of a disabled consumer's keys at once", async () => {
    const other = await t.createConsumer();
    const a = await t.createKey({ consumerId: other, scopes: ['companies:read'] });
    const b = await t.createKey({ consumerId: other, scopes: ['companies:read'] });
    expect((await t.callWith(a.key)).status).toBe(200);
    expect((await t.callWith(b.key)).status).toBe(200);
    const reply = await t.admin('POST', `/admin/v1/consumers/${other}/disable`);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json()).toMatchObject({ id: other, status: 'disabled' });
    expectProblem(await t.callWith(a.key), 401, 'invalid-credential');
    expectProblem(await t.call('/companies/1', { headers: { 'x-api-key': b.key } }), 401, 'invalid-credential');
    // Another consumer's key is untouched.
    const bystander = await t.createKey({ consumerId, scopes: ['companies:read'] });
    expect((await t.callWith(bystander.key)).status).toBe(200);
  });

  it('refuses to issue a key to a disabled consumer (409 problem)', async () => {
    const other = await t.createConsumer();
    await t.admin('POST', `/admin/v1/consumers/${other}/disable`);
    expectProblem(await t.admin('POST', '/admin/v1/keys', { consumerId: other, scopes: ['companies:read'] }), 409, 'conflict');
  });
});

describe('expiry and key age', () => {
  it('refuses a key from the instant its expiresIn has passed', async () => {
    const consumerId = await t.createConsumer();
    const issued = await t.createKey({ consumerId, scopes: ['companies:read'], expiresIn: '2h' });
    expect(Date.parse(issued.expiresAt as string)).toBe(t.clock.now + 2 * HOUR);
    expect((await t.callWith(issued.key)).status).toBe(200);
    t.clock.advance(2 * HOUR - 1);
    expect((await t.callWith(issued.key)).status).toBe(200);
    t.clock.advance(1);
    expectProblem(await t.callWith(issued.key), 401, 'invalid-credential');
    const [listed] = await listKeys(consumerId);
    expect(listed?.status).toBe('expired');
  });

  it('refuses to rotate an expired key (409 problem)', async () => {
    const consumerId = await t.createConsumer();
    const issued = await t.createKey({ consumerId, expiresIn: '1m' });
    t.clock.advance(60_000);
    expectProblem(await t.admin('POST', `/admin/v1/keys/${issued.id}/rotate`, {}), 409, 'conflict');
  });

  it('flags a key past warnAge with Deprecation and Sunset headers and rotationDue, and refuses it past maxAge', async () => {
    const consumerId = await t.createConsumer();
    const issued = await t.createKey({ consumerId, scopes: ['companies:read'] });
    const createdAt = Date.parse(issued.createdAt as string);
    const fresh = await t.callWith(issued.key);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.deprecation).toBeUndefined();
    expect(fresh.headers.sunset).toBeUndefined();

    t.clock.advance(29 * DAY);
    expect((await t.callWith(issued.key)).headers.deprecation).toBeUndefined();
    expect((await listKeys(consumerId))[0]?.rotationDue).toBe(false);

    t.clock.advance(2 * DAY); // 31 days old
    const ageing = await t.callWith(issued.key);
    expect(ageing.status).toBe(200);
    // RFC 9745: Deprecation is a structured-field date, @<unix seconds>; RFC 8594: Sunset is an HTTP-date.
    expect(ageing.headers.deprecation).toBe(`@${Math.floor((createdAt + 30 * DAY) / 1000)}`);
    expect(ageing.headers.sunset).toBe(new Date(createdAt + 90 * DAY).toUTCString());
    const [listed] = await listKeys(consumerId);
    expect(listed).toMatchObject({ id: issued.id, status: 'active', rotationDue: true, expiresAt: new Date(createdAt + 90 * DAY).toISOString() });

    t.clock.advance(59 * DAY - 1); // one millisecond short of 90 days
    expect((await t.callWith(issued.key)).status).toBe(200);
    t.clock.advance(1);
    expectProblem(await t.callWith(issued.key), 401, 'invalid-credential');
    expect((await listKeys(consumerId))[0]?.status).toBe('expired');
  });

  it('accepts a requested lifetime of exactly maxAge (a longer one is refused: see below)', async () => {
    const consumerId = await t.createConsumer();
    const issued = await t.createKey({ consumerId, expiresIn: '90d' });
    expect(Date.parse(issued.expiresAt as string)).toBe(Date.parse(issued.createdAt as string) + 90 * DAY);
  });
});

describe('admin API errors are problem+json', () => {
  let consumerId: string;
  beforeAll(async () => {
    consumerId = await t.createConsumer();
  });

  it.each([
    ['GET', '/admin/v1/keys/abcdefABCDEF'],
    ['POST', '/admin/v1/keys/abcdefABCDEF/rotate'],
    ['POST', '/admin/v1/keys/abcdefABCDEF/revoke'],
    ['GET', '/admin/v1/consumers/con_nosuchconsumer'],
    ['POST', '/admin/v1/consumers/con_nosuchconsumer/disable'],
    ['GET', '/admin/v1/keys?consumer=con_nosuchconsumer'],
  ] as const)('404 problem for an unknown id: %s %s', async (method, path) => {
    expectProblem(await t.admin(method, path), 404, 'not-found');
  });

  it('404 problem when issuing a key to an unknown consumer', async () => {
    expectProblem(await t.admin('POST', '/admin/v1/keys', { consumerId: 'con_nosuchconsumer' }), 404, 'not-found');
  });

  it('409 problem for a consumer name that is taken', async () => {
    await t.createConsumer('taken-name');
    expectProblem(await t.admin('POST', '/admin/v1/consumers', { name: 'taken-name' }), 409, 'conflict');
  });

  const badKeyBodies: [string, Record<string, unknown>, string][] = [
    ['no consumerId', { consumerId: undefined, scopes: ['companies:read'] }, 'consumerId'],
    ['scopes not an array', { scopes: 'companies:read' }, 'scopes'],
    ['a scope with a space', { scopes: ['companies read'] }, 'scopes[0]'],
    ['an allowedIps entry that is not an address', { allowedIps: ['10.0.0.0/8', 'not-an-ip'] }, 'allowedIps[1]'],
    ['a CIDR prefix out of range', { allowedIps: ['10.0.0.0/33'] }, 'allowedIps[0]'],
    ['an origin given as a URL', { allowedOrigins: ['https://app.example.com'] }, 'allowedOrigins[0]'],
    ['an expiresIn that is not a duration', { expiresIn: 'soon' }, 'expiresIn'],
    ['a negative expiresIn', { expiresIn: '-1d' }, 'expiresIn'],
  ];
  it.each(badKeyBodies)('400 problem naming the field for %s', async (_name, fields, field) => {
    const reply = await t.admin('POST', '/admin/v1/keys', { consumerId, ...fields });
    const body = expectProblem(reply, 400, 'bad-request');
    const errors = body.errors as { field: string; pointer: string; detail: string }[];
    expect(errors.map((e) => e.field)).toContain(field);
    // RFC 6901: the same location as a JSON Pointer, e.g. allowedIps[1] -> /allowedIps/1.
    expect(errors.map((e) => e.pointer)).toContain(`/${field.replace(/\[(\d+)\]/g, '/$1')}`);
  });

  it('400 problem naming the field for a bad rotate body', async () => {
    const key = await t.createKey({ consumerId });
    const body = expectProblem(await t.admin('POST', `/admin/v1/keys/${key.id}/rotate`, { grace: 'forever' }), 400, 'bad-request');
    expect((body.errors as { field: string }[]).map((e) => e.field)).toEqual(['grace']);
  });

  it('400 problem naming the field for a bad consumer body', async () => {
    const body = expectProblem(await t.admin('POST', '/admin/v1/consumers', { name: '' }), 400, 'bad-request');
    expect((body.errors as { field: string }[]).map((e) => e.field)).toEqual(['name']);
  });

  it('400 problem that points at an unknown member of the body (RFC 6901 pointer /bogus)', async () => {
    const body = expectProblem(await t.admin('POST', '/admin/v1/keys', { consumerId, bogus: true }), 400, 'bad-request');
    const errors = body.errors as { field: string; pointer: string; detail: string }[];
    expect(errors).toHaveLength(1);
    expect(errors[0]?.detail).toContain('bogus');
    expect(errors[0]).toMatchObject({ pointer: '/bogus', field: 'bogus' });
  });

  it('400 problem for a body that is not JSON at all', async () => {
    expectProblem(await t.admin('POST', '/admin/v1/keys', '{"consumerId":'), 400, 'bad-request');
  });

  it('415 problem for a body that is not application/json', async () => {
    const reply = await t.admin('POST', '/admin/v1/consumers', undefined, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=form-consumer',
    });
    expectProblem(reply, 415, 'unsupported-media-type');
    const text = await t.admin('POST', '/admin/v1/consumers', undefined, { headers: { 'content-type': 'text/plain' }, body: '{"name":"text-consumer"}' });
    expectProblem(text, 415, 'unsupported-media-type');
  });

  it('accepts application/json with a charset parameter', async () => {
    const reply = await t.admin('POST', '/admin/v1/consumers', undefined, {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ name: 'charset-consumer' }),
    });
    expect(reply.status, reply.text).toBe(201);
  });
});

describe('the first-hour admin operations', () => {
  it('rotates with a zero grace (the old key stops at once) and refuses a negative one', async () => {
    const consumerId = await t.createConsumer();
    const old = await t.createKey({ consumerId, scopes: ['companies:read'] });
    const negative = await t.admin('POST', `/admin/v1/keys/${old.id}/rotate`, { grace: '-1s' });
    expect(expectProblem(negative, 400, 'bad-request').errors).toEqual([expect.objectContaining({ field: 'grace', detail: expect.stringContaining('cannot be negative') })]);
    const rotated = await t.admin('POST', `/admin/v1/keys/${old.id}/rotate`, { grace: '0s' });
    expect(rotated.status, rotated.text).toBe(201);
    expect((await t.callWith(old.key)).status).toBe(401);
    expect((await t.callWith((rotated.json() as { key: string }).key)).status).toBe(200);
  });

  it('refuses expiresIn beyond keys.maxAge with the limit named, instead of capping it', async () => {
    const consumerId = await t.createConsumer();
    const reply = await t.admin('POST', '/admin/v1/keys', { consumerId, expiresIn: '100d' });
    const body = expectProblem(reply, 400, 'bad-request');
    expect(body.errors).toEqual([{ pointer: '/expiresIn', field: 'expiresIn', detail: expect.stringContaining('keys.maxAge = 90d') }]);
    expect((await t.admin('GET', `/admin/v1/keys?consumer=${consumerId}`)).json()).toEqual({ keys: [] });
  });

  it('finds a key by the key itself (POST body, by hash) and refuses a key put in a URL without echoing it', async () => {
    const consumerId = await t.createConsumer();
    const issued = await t.createKey({ consumerId, scopes: ['companies:read'] });
    const found = await t.admin('POST', '/admin/v1/keys/lookup', { key: issued.key });
    expect(found.status).toBe(200);
    expect(found.json()).toEqual((await t.admin('GET', `/admin/v1/keys/${issued.id}`)).json());
    expect(found.text).not.toContain(issued.key);
    const unknown = await t.admin('POST', '/admin/v1/keys/lookup', { key: generateCredential('apiKey').value });
    expectProblem(unknown, 404, 'not-found');
    for (const path of [`/admin/v1/keys/${issued.key}`, `/admin/v1/keys/${issued.key}/revoke`]) {
      const reply = await t.admin(path.endsWith('revoke') ? 'POST' : 'GET', path);
      expectProblem(reply, 400, 'bad-request');
      expect(reply.text).not.toContain(issued.key.slice(17));
    }
    expect(t.logs.text()).not.toContain(issued.key.slice(17));
  });
});
