import { crc32 } from 'node:zlib';
import { encodeBase62, generateCredential, randomBase62 } from '@portcullis/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, disableConsumer } from '../../src/credentials/consumers.js';
import type { CredentialDeps } from '../../src/credentials/deps.js';
import { createApiKey } from '../../src/credentials/issue-key.js';
import type { KeyOptions } from '../../src/credentials/issue-key.js';
import { revokeApiKey } from '../../src/credentials/revoke-key.js';
import { rotateApiKey } from '../../src/credentials/rotate-key.js';
import { KeyVerifier } from '../../src/credentials/verify-key.js';
import type { KeyVerifierOptions } from '../../src/credentials/verify-key.js';
import { createInProcessChangeBus } from '../../src/state/change-bus.js';
import type { ChangeEvent } from '../../src/state/change-bus.js';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import type { Database, Sql } from '../../src/store/sql.js';
import { DAY, HOUR, FakeClock } from '../helpers/gateway.js';

/**
 * The verifier on the hot path: no store round trip in steady state, one query for a burst of misses,
 * invalidation by change events, and fail-closed when the store cannot answer.
 */

const clock = new FakeClock();
let db: Database;
let deps: CredentialDeps;
let consumerId: string;
const verifiers: KeyVerifier[] = [];

/** The verifier's view of the store, counting its queries; it can fail, or hold results back. */
function countingSql(target: Sql) {
  const state = {
    queries: 0,
    failure: undefined as Error | undefined,
    /** While set, a result is held back after the query ran, until the promise resolves. */
    hold: undefined as Promise<void> | undefined,
    /** Resolves when a held query has run. */
    ran: undefined as (() => void) | undefined,
  };
  const sql: Sql = {
    async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      state.queries++;
      if (state.failure) throw state.failure;
      const rows = await target.query<Row>(text, params);
      if (state.hold) {
        state.ran?.();
        await state.hold;
      }
      return rows;
    },
  };
  return { sql, state };
}

function verifierOn(sql: Sql, options: Partial<KeyVerifierOptions> = {}): KeyVerifier {
  const verifier = new KeyVerifier({ db: sql, bus: deps.bus, clock: clock.read, policy: deps.policy, ...options });
  verifiers.push(verifier);
  return verifier;
}

/** A change event on its own, as a committed transaction that only announces it. */
function announce(event: ChangeEvent): Promise<void> {
  return deps.bus.transaction(db, (_tx, publish) => publish(event));
}

async function issue(options: Partial<KeyOptions> = {}, owner = consumerId) {
  return createApiKey(deps, 'test', owner, { scopes: ['companies:read'], allowedIps: [], allowedOrigins: [], ...options });
}

beforeAll(async () => {
  db = await openEmbeddedDatabase({});
  await migrate(db);
  deps = { db, bus: createInProcessChangeBus(), clock: clock.read, policy: { maxAge: 90 * DAY, warnAge: 30 * DAY } };
  consumerId = (await createConsumer(deps, 'test', 'verifier-test')).id;
});
afterEach(() => {
  for (const v of verifiers.splice(0)) v.close();
});
afterAll(async () => {
  await deps?.bus.close();
  await db?.close();
});

describe('KeyVerifier', () => {
  it('answers from the cache: after the first verify, more verifies make no query', async () => {
    const { value } = await issue();
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    const first = await verifier.verify(value);
    expect(first.ok).toBe(true);
    expect(state.queries).toBe(1);
    for (let i = 0; i < 50; i++) expect((await verifier.verify(value)).ok).toBe(true);
    expect(state.queries).toBe(1);
  });

  it('returns what the pipeline needs about the key', async () => {
    const { key, value } = await issue({ scopes: ['b', 'a'], allowedIps: ['10.0.0.0/8'], allowedOrigins: ['App.Example.com'] });
    const result = await verifierOn(db).verify(value);
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
    expect(result.key).toMatchObject({ id: key.id, consumerId, allowedIps: ['10.0.0.0/8'], allowedOrigins: ['app.example.com'] });
    expect([...result.key.scopes].sort()).toEqual(['a', 'b']);
    expect(result.key.ipRanges).toHaveLength(1);
    expect(result.key.expiresAt).toBe(key.createdAt.getTime() + 90 * DAY);
    expect(result.key.rotationDueAt).toBe(key.createdAt.getTime() + 30 * DAY);
  });

  it('shares one query among concurrent misses for one id', async () => {
    const { value } = await issue();
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    const typo = `${value.slice(0, 20)}${value[20] === 'a' ? 'b' : 'a'}${value.slice(21)}`; // checksum fails: no query
    const results = await Promise.all([...Array.from({ length: 20 }, () => verifier.verify(value)), verifier.verify(typo)]);
    expect(results.slice(0, 20).every((r) => r.ok)).toBe(true);
    expect(results[20]).toEqual({ ok: false, reason: 'checksum' });
    expect(state.queries).toBe(1);
  });

  it('remembers unknown ids, so a flood of one made-up key makes one query', async () => {
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    const madeUp = generateCredential('apiKey').value;
    const burst = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(madeUp)));
    for (let i = 0; i < 10; i++) burst.push(await verifier.verify(madeUp));
    expect(burst.every((r) => !r.ok && r.reason === 'unknown')).toBe(true);
    expect(state.queries).toBe(1);
  });

  it('never queries for a malformed value, a wrong checksum or another kind of credential', async () => {
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    const good = generateCredential('apiKey').value;
    expect(await verifier.verify('')).toEqual({ ok: false, reason: 'malformed' });
    expect(await verifier.verify('pck_nope')).toEqual({ ok: false, reason: 'malformed' });
    expect(await verifier.verify(`${good.slice(0, -1)}${good.endsWith('a') ? 'b' : 'a'}`)).toEqual({ ok: false, reason: 'checksum' });
    expect(await verifier.verify(generateCredential('adminToken').value)).toEqual({ ok: false, reason: 'wrong-kind' });
    expect(await verifier.verify(generateCredential('clientSecret').value)).toEqual({ ok: false, reason: 'wrong-kind' });
    expect(state.queries).toBe(0);
  });

  it('refuses the right id with the wrong secret (mismatch), from the cache', async () => {
    const { key, value } = await issue();
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    await verifier.verify(value);
    const body = `pck_${key.id}_${randomBase62(32)}`; // the issued id, another secret, a valid checksum
    const forged = body + encodeBase62(crc32(body), 6);
    expect(await verifier.verify(forged)).toEqual({ ok: false, reason: 'mismatch' });
    expect(state.queries).toBe(1);
  });

  it('drops a cached key when a change event names it', async () => {
    const { key, value } = await issue();
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    await verifier.verify(value);
    await announce({ kind: 'api-key', id: key.id });
    expect((await verifier.verify(value)).ok).toBe(true);
    expect(state.queries).toBe(2);
    await announce({ kind: 'api-key', id: 'someOtherKey' });
    await verifier.verify(value);
    expect(state.queries).toBe(2);
  });

  it("drops a consumer's cached keys, and only those, when a change event names the consumer", async () => {
    const other = (await createConsumer(deps, 'test', 'verifier-other')).id;
    const mine = [await issue(), await issue()];
    const theirs = await issue({}, other);
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    for (const k of [...mine, theirs]) await verifier.verify(k.value);
    expect(state.queries).toBe(3);
    await announce({ kind: 'consumer', id: consumerId });
    for (const k of [...mine, theirs]) expect((await verifier.verify(k.value)).ok).toBe(true);
    expect(state.queries).toBe(5);
  });

  it('forgets an unknown id when a change event names it (the key may just have been issued)', async () => {
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    const madeUp = generateCredential('apiKey');
    await verifier.verify(madeUp.value);
    await announce({ kind: 'api-key', id: madeUp.id });
    await verifier.verify(madeUp.value);
    expect(state.queries).toBe(2);
  });

  it('does not cache a load that raced with a change event: a revocation during the load is not lost', async () => {
    const { key, value } = await issue();
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    let release!: () => void;
    state.hold = new Promise((resolve) => (release = resolve));
    const ran = new Promise<void>((resolve) => (state.ran = resolve));
    const inFlight = verifier.verify(value);
    await ran; // the query read the key while it was still active
    await revokeApiKey(deps, 'test', key.id); // committed and announced while that result is held back
    state.hold = undefined;
    release();
    expect((await inFlight).ok).toBe(true); // the request that was already in flight
    expect(await verifier.verify(value)).toEqual({ ok: false, reason: 'revoked' });
    expect(state.queries).toBe(2);
  });

  it('refuses by the clock from the cache: expiry needs no query', async () => {
    const { value } = await issue({ expiresIn: HOUR });
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    expect((await verifier.verify(value)).ok).toBe(true);
    clock.advance(HOUR);
    expect(await verifier.verify(value)).toEqual({ ok: false, reason: 'expired' });
    expect(state.queries).toBe(1);
  });

  it('sees revocation, rotation and disabling through the change bus at once', async () => {
    const owner = (await createConsumer(deps, 'test', 'verifier-lifecycle')).id;
    const revoked = await issue({}, owner);
    const rotated = await issue({}, owner);
    const verifier = verifierOn(db);
    for (const k of [revoked, rotated]) expect((await verifier.verify(k.value)).ok).toBe(true);
    await revokeApiKey(deps, 'test', revoked.key.id);
    expect(await verifier.verify(revoked.value)).toEqual({ ok: false, reason: 'revoked' });
    const successor = await rotateApiKey(deps, 'test', rotated.key.id, 60_000);
    expect((await verifier.verify(rotated.value)).ok).toBe(true);
    expect((await verifier.verify(successor.value)).ok).toBe(true);
    clock.advance(60_000);
    expect(await verifier.verify(rotated.value)).toEqual({ ok: false, reason: 'rotated-out' });
    await disableConsumer(deps, 'test', owner);
    expect(await verifier.verify(successor.value)).toEqual({ ok: false, reason: 'consumer-disabled' });
  });

  it('bounds its caches: with room for two keys, a third evicts the oldest', async () => {
    const keys = [await issue(), await issue(), await issue()];
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql, { cacheSize: 2 });
    for (const k of keys) await verifier.verify(k.value);
    await verifier.verify((keys[0] as { value: string }).value);
    expect(state.queries).toBe(4);
    const madeUp = [1, 2, 3].map(() => generateCredential('apiKey').value);
    for (const v of madeUp) await verifier.verify(v);
    await verifier.verify(madeUp[0] as string);
    expect(state.queries).toBe(8);
  });

  it("fails closed with 'unavailable' when the store throws, and caches nothing from the failure", async () => {
    const { value } = await issue();
    const { sql, state } = countingSql(db);
    const verifier = verifierOn(sql);
    const madeUp = generateCredential('apiKey').value;
    state.failure = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    const refused = await verifier.verify(value);
    expect(refused).toMatchObject({ ok: false, reason: 'unavailable' });
    expect((refused as { cause: Error }).cause).toBe(state.failure);
    expect(await verifier.verify(madeUp)).toMatchObject({ ok: false, reason: 'unavailable' });
    state.failure = undefined;
    expect((await verifier.verify(value)).ok).toBe(true);
    expect(await verifier.verify(madeUp)).toEqual({ ok: false, reason: 'unknown' });
  });
});
