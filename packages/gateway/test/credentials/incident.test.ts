import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startInstancePair } from '../helpers/cluster.js';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, TestGateway } from '../helpers/gateway.js';
import { basic, createOAuthClient, postForm, tokenFor } from '../helpers/oauth.js';

let t: CredentialGateway;

beforeAll(async () => {
  t = await startCredentialGateway();
});
afterAll(() => t.stop());

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const config = join(t.dataDir, 'portcullis.yaml');
  writeFileSync(config, `dataDir: ${t.dataDir}\n`);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    return { code: await main(['node', 'portcullis', ...args, '--config', config, '--admin-url', t.gateway.adminUrl]), out };
  } finally {
    spy.mockRestore();
  }
}

describe('portcullis incident', () => {
  it('revokes every key of the consumer, reissues on the same terms once, and saves its recent access for review', async () => {
    const victim = await t.createConsumer();
    const other = await t.createConsumer();
    const keys = [
      await t.createKey({ consumerId: victim, scopes: ['companies:read'], allowedIps: ['127.0.0.1/32'], expiresIn: '30d' }),
      await t.createKey({ consumerId: victim, scopes: ['companies:read', 'companies:write'] }),
    ];
    const bystander = await t.createKey({ consumerId: other, scopes: ['companies:read'] });
    for (const k of [...keys, bystander]) expect((await t.callWith(k.key, '/companies/1')).status).toBe(200);
    expect((await t.callWith(keys[0]?.key as string, '/companies', { method: 'POST', body: '{}' })).status).toBe(403);

    const out = join(t.dataDir, 'review.jsonl');
    const { code, out: printed } = await cli('incident', '--consumer', victim, '--reissue', '--since', '1h', '--out', out, '--json');
    expect(code).toBe(0);
    const answer = JSON.parse(printed) as { revoked: string[]; reissued: { id: string; key: string; replaces: string; scopes: string[]; allowedIps: string[]; expiresAt: string }[]; accessRecords: { count: number } };
    expect(answer.revoked.sort()).toEqual(keys.map((k) => k.id).sort());

    for (const k of keys) expect((await t.callWith(k.key, '/companies/1')).status).toBe(401);
    expect((await t.callWith(bystander.key, '/companies/1')).status).toBe(200);

    // Same terms: scopes, allow-lists and lifetime.
    const first = answer.reissued.find((r) => r.replaces === keys[0]?.id);
    expect(first).toMatchObject({ scopes: ['companies:read'], allowedIps: ['127.0.0.1/32'] });
    expect(Date.parse(first?.expiresAt as string) - t.clock.now).toBeGreaterThan(29 * 86_400_000);
    for (const r of answer.reissued) expect((await t.callWith(r.key, '/companies/1')).status).toBe(200);

    const review = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { consumerId: string; status: number; credentialId: string });
    expect(review.length).toBe(answer.accessRecords.count);
    expect(review.every((r) => r.consumerId === victim)).toBe(true);
    expect(review.map((r) => r.status).sort()).toEqual([200, 200, 403]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).not.toContain(keys[0]?.key);

    const audit = (await t.admin('GET', `/admin/v1/audit?action=consumer.incident&target=${victim}`)).json() as { events: { detail: { revoked: string[] } }[] };
    expect(audit.events[0]?.detail.revoked.sort()).toEqual(keys.map((k) => k.id).sort());
  });

  it("revokes the consumer's OAuth clients with their secrets and tokens; --reissue gives new client secrets on the same terms, once", async () => {
    const victim = await t.createConsumer();
    const client = await createOAuthClient(t, { consumerId: victim, scopes: ['companies:read'], allowedIps: ['127.0.0.1/32'] });
    const bystander = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read'] });
    const token = await tokenFor(t, client);
    const bystanderToken = await tokenFor(t, bystander);
    expect((await t.callWith(token, '/companies/1')).status).toBe(200);

    const { code, out } = await cli('incident', '--consumer', victim, '--reissue', '--out', join(t.dataDir, 'oauth-review.jsonl'));
    expect(code).toBe(0);
    const line = /replacement client for (cli_\w+): client_id (cli_\w+) client_secret (\S+)/.exec(out);
    expect(line?.[1]).toBe(client.client_id);
    expect(out).toContain(`revoked 1 OAuth client(s), their secrets and tokens: ${client.client_id}`);

    expect((await t.callWith(token, '/companies/1')).status).toBe(401); // an outstanding token
    expect((await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(client.client_id, client.client_secret as string))).status).toBe(401);
    expect((await t.callWith(bystanderToken, '/companies/1')).status).toBe(200);

    const replacement = { client_id: line?.[2] as string, client_secret: line?.[3] as string };
    const fresh = await tokenFor(t, replacement);
    expect((await t.callWith(fresh, '/companies/1')).status).toBe(200);
    const described = (await t.admin('GET', `/admin/v1/clients/${replacement.client_id}`)).json() as { consumerId: string; scopes: string[]; allowedIps: string[] };
    expect(described).toMatchObject({ consumerId: victim, scopes: ['companies:read'], allowedIps: ['127.0.0.1/32'] });
    const audit = (await t.admin('GET', `/admin/v1/audit?action=consumer.incident&target=${victim}`)).json() as { events: { detail: Record<string, unknown> }[] };
    expect(audit.events[0]?.detail).toMatchObject({ revokedClients: [client.client_id], reissuedClients: [{ id: replacement.client_id, replaces: client.client_id }] });
    expect(JSON.stringify(audit)).not.toContain(replacement.client_secret);
  });

  it('answers 404 for an unknown consumer', async () => {
    expectProblem(await t.admin('POST', '/admin/v1/consumers/con_nope/incident', {}), 404, 'not-found');
  });
});

describe('POST /admin/v1/leaks (GitHub secret scanning partner format)', () => {
  it('revokes a reported key at once, names its consumer in an alert, and answers without the key', async () => {
    const consumer = await t.createConsumer('leaky-app');
    const key = await t.createKey({ consumerId: consumer, scopes: ['companies:read'] });
    const stranger = generateCredential('apiKey').value; // well-formed, checksum valid, not ours
    const forged = `${key.key.slice(0, 17)}${generateCredential('apiKey').value.slice(17)}`; // our key id, another secret
    const reply = await t.admin('POST', '/admin/v1/leaks', [
      { token: key.key, type: 'portcullis_api_key', url: 'https://github.com/acme/app/blob/abc/config.js', source: 'content' },
      { token: stranger, type: 'portcullis_api_key', url: 'https://gist.github.com/x', source: 'gist' },
      { token: forged, type: 'portcullis_api_key', url: 'https://gist.github.com/y', source: 'gist' },
    ]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.text).not.toContain(key.key);
    expect(reply.text).not.toContain(stranger);
    const answer = reply.json() as { label: string; key_id?: string; consumer_id?: string; token_hash: string }[];
    expect(answer.map((a) => a.label)).toEqual(['true_positive', 'false_positive', 'false_positive']);
    expect(answer[0]).toMatchObject({ key_id: key.id, consumer_id: consumer });
    expect(answer[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);

    expect((await t.callWith(key.key, '/companies/1')).status).toBe(401);
    await t.gateway.operations.alerts.settle();
    const alerts = (await t.admin('GET', '/admin/v1/alerts?rule=leaked-key')).json() as { alerts: { subject: string; message: string }[] };
    expect(alerts.alerts[0]).toMatchObject({ subject: `key:${key.id}`, message: expect.stringContaining(`consumer ${consumer}`) });
    expect(JSON.stringify(alerts)).not.toContain(key.key);
  });

  it('revokes an OAuth client whose secret is reported, with its tokens, and names it in an alert', async () => {
    const consumer = await t.createConsumer('leaky-oauth-app');
    const client = await createOAuthClient(t, { consumerId: consumer, scopes: ['companies:read'] });
    const token = await tokenFor(t, client);
    const reply = await t.admin('POST', '/admin/v1/leaks', [{ token: client.client_secret, type: 'portcullis_client_secret', url: 'https://gist.github.com/z', source: 'gist' }]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.text).not.toContain(client.client_secret);
    expect(reply.json()).toEqual([expect.objectContaining({ label: 'true_positive', client_id: client.client_id, consumer_id: consumer, revoked: true })]);
    expect((await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(client.client_id, client.client_secret as string))).status).toBe(401);
    expect((await t.callWith(token, '/companies/1')).status).toBe(401);
    await t.gateway.operations.alerts.settle();
    const alerts = (await t.admin('GET', `/admin/v1/alerts?rule=leaked-key&subject=client:${client.client_id}`)).json() as { alerts: { message: string }[] };
    expect(alerts.alerts[0]?.message).toContain(`consumer ${consumer}`);
  });

  it('refuses a body that is not a report', async () => {
    const body = expectProblem(await t.admin('POST', '/admin/v1/leaks', { token: 'x' }), 400, 'bad-request');
    expect(body.errors).toBeDefined();
  });
});

describe('clients rotate-secret --grace 0s', () => {
  it('is accepted and cuts over at once', async () => {
    const client = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read'] });
    const { code, out } = await cli('clients', 'rotate-secret', client.client_id, '--grace', '0s', '--json');
    expect(code).toBe(0);
    const rotated = JSON.parse(out) as { client_id: string; client_secret: string };
    expect((await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(client.client_id, client.client_secret as string))).status).toBe(401);
    await tokenFor(t, rotated);
  });
});

describe('keys rotate --grace 0s', () => {
  it('cuts over at once for a leaked key', async () => {
    const key = await t.createKey({ consumerId: await t.createConsumer(), scopes: ['companies:read'] });
    expect((await t.callWith(key.key, '/companies/1')).status).toBe(200);
    const reply = await t.admin('POST', `/admin/v1/keys/${key.id}/rotate`, { grace: '0s' });
    expect(reply.status, reply.text).toBe(201);
    expect((await t.callWith(key.key, '/companies/1')).status).toBe(401);
    expect((await t.callWith((reply.json() as { key: string }).key, '/companies/1')).status).toBe(200);
  });
});

const url = process.env.PORTCULLIS_TEST_DATABASE_URL;
if (!url) console.log('[skipped] incident across instances: set PORTCULLIS_TEST_DATABASE_URL to run it against PostgreSQL');

describe.skipIf(!url)('incident across instances (PostgreSQL)', () => {
  let pair: Awaited<ReturnType<typeof startInstancePair>>;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    pair = await startInstancePair(url as string, 'pc_incident', (upstream) => ({
      oauth: { issuer: 'https://api.portcullis.test' }, // one issuer: a token from either instance works at both
      services: [{ name: 'api', upstream, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }],
    }));
    ({ a, b } = pair);
  });
  afterAll(() => pair?.close());

  it('leaves the consumer no working key, client secret or token at the other instance within one second', async () => {
    const token = readFileSync(`${a.dataDir}/admin.token`, 'utf8').trim();
    const post = async (path: string, body: unknown) =>
      (await a.admin(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Record<string, string>;
    const consumer = await post('/admin/v1/consumers', { name: 'breached-co' });
    const keys = [await post('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] }), await post('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] })];
    for (const k of keys) expect((await b.call('/things', { headers: { 'x-api-key': k.key as string } })).status).toBe(200); // cached at b
    const client = await post('/admin/v1/clients', { consumerId: consumer.id, scopes: ['things:read'] });
    const tokenForm = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` }, body: 'grant_type=client_credentials' };
    const accessToken = ((await a.call('/oauth/token', tokenForm)).json() as { access_token: string }).access_token;
    const withToken = { headers: { authorization: `Bearer ${accessToken}` } };
    expect((await b.call('/things', withToken)).status).toBe(200); // verified and cached at b
    await post(`/admin/v1/consumers/${consumer.id}/incident`, {});
    const start = performance.now();
    const refusedAtB = [...keys.map((k) => () => b.call('/things', { headers: { 'x-api-key': k.key as string } })), () => b.call('/things', withToken), () => b.call('/oauth/token', tokenForm)];
    for (const attempt of refusedAtB) {
      while ((await attempt()).status !== 401) {
        if (performance.now() - start > 1_000) throw new Error('a credential still works at the other instance after one second');
      }
    }
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});
