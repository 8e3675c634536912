import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { diskStore, memoryStore } from '../../src/index.js';
import { freshnessOf } from '../../src/cache/cache-control.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { json, sequence, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

const KEY = 'cache-key-planted-0123456789abcdef0123456789';
const BODY = { company: 'Plaintext Industries', iban: 'DE89370400440532013000' };
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

describe('encrypted response cache', () => {
  it('serves a fresh GET from the cache per Cache-Control max-age, then goes back to the origin', async () => {
    server.handle(json(200, BODY, { 'cache-control': 'max-age=60' }));
    const clock = new FakeClock();
    const { client } = clientFor(server, { clock, cache: { key: KEY } });
    const first = await client.get('/companies/{id}', { params: { id: 1 }, cache: true });
    const second = await client.get('/companies/{id}', { params: { id: 1 }, cache: true });
    expect(first.fromCache).toBe(false);
    expect(second).toMatchObject({ fromCache: true, stale: false, data: BODY });
    expect(server.seen).toHaveLength(1);
    clock.advance(61_000);
    expect((await client.get('/companies/{id}', { params: { id: 1 }, cache: true })).fromCache).toBe(false);
    expect(server.seen).toHaveLength(2);
    // Not opted in: never cached.
    await client.get('/companies/{id}', { params: { id: 1 } });
    expect(server.seen).toHaveLength(3);
    await client.close();
  });

  it('is opt-in per route too, and never stores no-store or a POST', async () => {
    server.handle(json(200, BODY, { 'cache-control': 'max-age=60' }));
    const { client } = clientFor(server, { cache: { key: KEY, routes: ['/companies/{id}'] } });
    await client.get('/companies/{id}', { params: { id: 2 } });
    expect((await client.get('/companies/{id}', { params: { id: 2 } })).fromCache).toBe(true);
    await client.post('/companies/{id}', { params: { id: 2 }, body: {} });
    expect(server.seen).toHaveLength(2);
    server.handle(json(200, BODY, { 'cache-control': 'no-store, max-age=60' }));
    await client.get('/companies/{id}', { params: { id: 3 } });
    await client.get('/companies/{id}', { params: { id: 3 } });
    expect(server.seen).toHaveLength(4);
    await client.close();
  });

  it('stores entries AES-256-GCM encrypted on disk: no URL, body or key in the files, owner-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-cache-'));
    server.handle(json(200, BODY, { 'cache-control': 'max-age=60' }));
    const { client } = clientFor(server, { cache: { key: KEY, store: diskStore(dir) } });
    await client.get('/companies/{id}', { params: { id: 'secret-company' }, cache: true });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const raw = readFileSync(join(dir, files[0]!));
    for (const plain of ['Plaintext', 'DE89370400440532013000', 'secret-company', KEY]) expect(raw.includes(plain)).toBe(false);
    expect(files[0]).not.toContain('companies');
    expect(statSync(join(dir, files[0]!)).mode & 0o077).toBe(0);
    // A second client with the same key and directory reads it (restart); another key cannot.
    const again = clientFor(server, { cache: { key: KEY, store: diskStore(dir) } }).client;
    expect((await again.get('/companies/{id}', { params: { id: 'secret-company' }, cache: true })).data).toEqual(BODY);
    const other = clientFor(server, { cache: { key: `${KEY}-other`, store: diskStore(dir) } }).client;
    expect((await other.get('/companies/{id}', { params: { id: 'secret-company' }, cache: true })).fromCache).toBe(false);
    await Promise.all([client.close(), again.close(), other.close()]);
  });

  it('treats a tampered entry as a miss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-cache-'));
    server.handle(json(200, BODY, { 'cache-control': 'max-age=60' }));
    const { client } = clientFor(server, { cache: { key: KEY, store: diskStore(dir) } });
    await client.get('/x', { cache: true });
    const file = join(dir, readdirSync(dir)[0]!);
    const sealed = readFileSync(file);
    sealed[sealed.length - 1]! ^= 1;
    writeFileSync(file, sealed);
    expect((await client.get('/x', { cache: true })).fromCache).toBe(false);
    expect(server.seen).toHaveLength(2);
    await client.close();
  });

  it('stale-if-error: an expired entry stands in when the origin fails, within the window the response gave', async () => {
    server.handle(sequence(json(200, BODY, { 'cache-control': 'max-age=10, stale-if-error=300' }), json(503, {})));
    const clock = new FakeClock();
    const { client } = clientFor(server, { clock, retry: false, cache: { key: KEY, store: memoryStore() } });
    await client.get('/c', { cache: true });
    clock.advance(60_000);
    expect(await client.get('/c', { cache: true })).toMatchObject({ fromCache: true, stale: true, data: BODY });
    clock.advance(300_000);
    await expect(client.get('/c', { cache: true })).rejects.toMatchObject({ status: 503 });
    await client.close();
  });

  it('refuses a short cache key at first use, naming the option', async () => {
    const { client } = clientFor(server, { cache: { key: 'short' } });
    await expect(client.get('/x', { cache: true })).rejects.toThrow(/cache.key .* at least 32 characters/);
    await client.close();
  });

  it('reads freshness per RFC 9111: max-age less Age, Expires, no-cache, Vary: *', () => {
    const now = Date.now();
    expect(freshnessOf(200, { 'cache-control': 'max-age=60', age: '20' }, now)?.maxAgeMs).toBe(40_000);
    expect(freshnessOf(200, { expires: new Date(now + 30_000).toUTCString(), date: new Date(now).toUTCString() }, now)?.maxAgeMs).toBeGreaterThan(28_000);
    expect(freshnessOf(200, { 'cache-control': 'no-cache' }, now)?.maxAgeMs).toBe(0);
    expect(freshnessOf(200, { 'cache-control': 'max-age=60', vary: '*' }, now)).toBeUndefined();
    expect(freshnessOf(500, { 'cache-control': 'max-age=60' }, now)).toBeUndefined();
    expect(freshnessOf(200, {}, now)).toBeUndefined();
  });
});
