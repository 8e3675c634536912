import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CREDENTIAL_ID_LENGTH } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAccessRecords } from '../../src/observe/access-records.js';
import { openDatabase } from '../../src/store/open.js';
import { startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, IssuedKey } from '../helpers/gateway.js';

/**
 * Keys and admin tokens exist in plain text only in the response that issued them (and, for the first
 * admin token, its 0600 file): never in the store's files, never in a log line (CONTRACT §3, §1).
 */

let t: CredentialGateway;
let keys: IssuedKey[];
/** Stored in plain text on purpose: the positive control that the scan can see what the store writes. */
const CONSUMER_NAME = `at-rest-control-${process.pid}-plaintext`;

/** The secret part of a credential: what must never be at rest, even without the id in front of it. */
function secretOf(value: string): string {
  return value.slice('pck_'.length + CREDENTIAL_ID_LENGTH + 1);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
}

/** Every file under dataDir that holds any of the needles, read as bytes (the store's files are binary). */
function filesContaining(dir: string, needles: readonly string[], except: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const path of filesUnder(dir)) {
    if (except.includes(path)) continue;
    const bytes = readFileSync(path);
    for (const needle of needles) {
      // UTF-8 and UTF-16LE: the two ways a JS string plausibly lands in a file.
      if (bytes.includes(Buffer.from(needle, 'utf8')) || bytes.includes(Buffer.from(needle, 'utf16le'))) {
        found.push(`${relative(dir, path)} holds ${needle.slice(0, 8)}...`);
      }
    }
  }
  return found;
}

beforeAll(async () => {
  t = await startCredentialGateway(undefined, { freezeIntervals: true });
  const consumerId = await t.createConsumer(CONSUMER_NAME);
  keys = [];
  for (let i = 0; i < 3; i++) keys.push(await t.createKey({ consumerId, scopes: ['companies:read'] }));
  const rotated = await t.admin('POST', `/admin/v1/keys/${keys[2]?.id}/rotate`, { grace: '1h' });
  keys.push(rotated.json() as IssuedKey);
  await t.admin('POST', `/admin/v1/keys/${keys[1]?.id}/revoke`);
});
afterAll(async () => {
  await t?.stop(); // gateway.stop() is idempotent: the last test stops it first
});

describe('last-used times', () => {
  it('writes last_used_at only when the usage queue is flushed, never on the request path', async () => {
    const key = keys[0] as IssuedKey;
    const lastUsed = async () =>
      (await t.gateway.db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [key.id]))[0]?.last_used_at;
    expect(await lastUsed()).toBeNull();
    expect((await t.callWith(key.key)).status).toBe(200);
    expect((await t.callWith(key.key)).status).toBe(200);
    expect(await lastUsed()).toBeNull();
    const usedAt = t.clock.now;
    t.clock.advance(5_000);
    await t.gateway.flushUsage();
    expect((await lastUsed())?.getTime()).toBe(usedAt);
    const listed = await t.admin('GET', `/admin/v1/keys/${key.id}`);
    expect((listed.json() as { lastUsedAt: string }).lastUsedAt).toBe(new Date(usedAt).toISOString());
  });
});

describe('last-used times count only requests that were let through', () => {
  it('a request refused by the IP allow-list or for a missing scope does not set last_used_at', async () => {
    const consumerId = await t.createConsumer();
    const elsewhere = await t.createKey({ consumerId, scopes: ['companies:read'], allowedIps: ['10.0.0.0/8'] });
    const readOnly = await t.createKey({ consumerId, scopes: ['companies:read'] });
    expect((await t.callWith(elsewhere.key)).status).toBeGreaterThanOrEqual(400); // refused: we call from 127.0.0.1
    expect((await t.callWith(readOnly.key, '/companies', { method: 'POST' })).status).toBe(403); // needs companies:write
    t.clock.advance(5_000);
    await t.gateway.flushUsage();
    const rows = await t.gateway.db.query<{ id: string; last_used_at: Date | null }>('SELECT id, last_used_at FROM api_keys WHERE id = ANY($1)', [[elsewhere.id, readOnly.id]]);
    expect(rows.map((r) => r.last_used_at)).toEqual([null, null]);

    expect((await t.callWith(readOnly.key)).status).toBe(200); // the control: a request let through counts
    await t.gateway.flushUsage();
    const [used] = await t.gateway.db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [readOnly.id]);
    expect(used?.last_used_at).not.toBeNull();
  });
});

describe('secrets at rest', () => {
  it('plants every key in requests, in every place a client might put one', async () => {
    for (const { key } of keys) {
      await t.callWith(key);
      await t.call('/companies/1', { headers: { 'x-api-key': key } });
      await t.call(`/companies/1?api_key=${key}`);
      await t.call(`/companies/${key}`, { headers: { authorization: `Bearer ${key}` } });
      await t.call('/public', { headers: { 'x-custom': key, cookie: `session=${key}` } });
      await t.call('/companies', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ key }) });
    }
    await t.admin('GET', '/admin/v1/keys', undefined, { headers: { authorization: `Bearer ${keys[0]?.key}` } });
    await t.admin('GET', `/admin/v1/keys?token=${t.adminToken}`);
    await t.gateway.flushUsage();
  });

  it('keeps the admin token file readable by its owner only (0600)', () => {
    expect(statSync(join(t.dataDir, 'admin.token')).mode & 0o777).toBe(0o600);
  });

  it('logs none of the keys or the admin token', () => {
    expect(t.logs.lines.length).toBeGreaterThan(20);
    const all = t.logs.text();
    for (const { key } of keys) {
      expect(all).not.toContain(key);
      expect(all).not.toContain(secretOf(key));
    }
    expect(all).not.toContain(t.adminToken);
    expect(all).not.toContain(secretOf(t.adminToken));
  });

  it('stores no key, and no admin token outside admin.token, in any file under dataDir (after a clean stop)', async () => {
    await t.gateway.stop(); // everything flushed and closed: whatever is on disk now is all there is
    const needles = keys.flatMap(({ key }) => [key, secretOf(key)]);
    expect(filesContaining(t.dataDir, [CONSUMER_NAME]).length).toBeGreaterThan(0); // the scan sees what the store writes
    expect(filesContaining(t.dataDir, needles)).toEqual([]);
    expect(filesContaining(t.dataDir, [t.adminToken, secretOf(t.adminToken)], [join(t.dataDir, 'admin.token')])).toEqual([]);
    // The scan would have found one: the token file does hold its token.
    expect(filesContaining(t.dataDir, [t.adminToken])).toEqual([`admin.token holds ${t.adminToken.slice(0, 8)}...`]);
  });

  it('keeps no key in the access records, which the embedded store deflates (so the byte scan cannot see into them)', async () => {
    const db = await openDatabase({ dataDir: t.dataDir });
    try {
      const records = await queryAccessRecords(db, {}, 1_000_000);
      const all = JSON.stringify(records);
      expect(records.filter((r) => r.path.startsWith('/companies/')).length).toBeGreaterThanOrEqual(keys.length * 5); // every planted request is there
      for (const needle of [...keys.flatMap(({ key }) => [key, secretOf(key)]), t.adminToken, secretOf(t.adminToken)]) expect(all).not.toContain(needle);
    } finally {
      await db.close();
    }
  });
});
