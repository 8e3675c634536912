import { crc32 } from 'node:zlib';
import { CREDENTIAL_CHECKSUM_LENGTH, CREDENTIAL_ID_LENGTH, encodeBase62, generateCredential, randomBase62 } from '@portcullis/protocol';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companiesService, expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/** The same key id with another secret and a valid checksum: what an attacker who knows a key id sends. */
function withOtherSecret(key: string): string {
  const body = key.slice(0, 'pck_'.length + CREDENTIAL_ID_LENGTH + 1) + randomBase62(32);
  return body + encodeBase62(crc32(body), CREDENTIAL_CHECKSUM_LENGTH);
}

/**
 * Brute-force defence through a real gateway. The gateway trusts the loopback proxy, so each test picks
 * its client address with X-Forwarded-For.
 */
describe('brute-force defence', () => {
  let t: CredentialGateway;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      services: [companiesService(url)],
      trustedProxies: ['127.0.0.1/32', '::1/128'],
      bruteForce: { ipFailures: 5, credentialFailures: 4, window: '10m', block: '10m', slowAfter: 2, maxDelay: '20ms' },
    }));
    const consumerId = await t.createConsumer();
    ({ key, id: keyId } = await t.createKey({ consumerId, scopes: ['companies:read'] }));
  });
  afterAll(async () => {
    await t?.stop();
  });

  const from = (ip: string, credential: string) => t.callWith(credential, '/companies/1', { headers: { 'x-forwarded-for': ip } });
  const metric = async (pattern: RegExp) => Number((await t.admin('GET', '/metrics')).text.match(pattern)?.[1] ?? 0);
  const audited = async () =>
    (await t.gateway.db.query<{ target: string; detail: { failures: number } }>("SELECT target, detail FROM audit_events WHERE action = 'auth.block' ORDER BY seq")).map((r) => r.target);

  it('blocks an IP guessing unknown keys, then refuses it before the store is asked; its blocks are audited and counted', async () => {
    const attacker = '198.51.100.7';
    for (let i = 0; i < 5; i++) expectProblem(await from(attacker, generateCredential('apiKey').value), 401, 'invalid-credential');
    const blocked = await from(attacker, generateCredential('apiKey').value); // the failure that crosses the line
    expectProblem(blocked, 429, 'rate-limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(500);
    const unknownBefore = await metric(/portcullis_auth_failures_total\{reason="unknown"\} (\d+)/);
    // Blocked: further guesses, and even a valid key, are refused without a lookup.
    expectProblem(await from(attacker, generateCredential('apiKey').value), 429, 'rate-limited');
    expectProblem(await from(attacker, key), 429, 'rate-limited');
    expect(await metric(/portcullis_auth_failures_total\{reason="unknown"\} (\d+)/)).toBe(unknownBefore);
    expect(await metric(/portcullis_brute_force_blocks_total\{kind="ip"\} (\d+)/)).toBe(1);
    await expect.poll(audited).toContain(`ip:${attacker}`);
    // The legitimate consumer, elsewhere, is not affected.
    expect((await from('203.0.113.10', key)).status).toBe(200);
  });

  it('slows repeated failures before blocking', async () => {
    const ip = '198.51.100.8';
    for (let i = 0; i < 4; i++) await from(ip, generateCredential('apiKey').value);
    const slowed = t.logs.lines.filter((line) => line.includes('authentication failure slowed')).map((line) => JSON.parse(line) as { delayMs: number });
    expect(slowed.length).toBeGreaterThanOrEqual(2);
    expect(slowed.every((line) => line.delayMs > 0 && line.delayMs <= 20)).toBe(true);
  });

  it('blocks failures against one key id from many addresses, without locking its owner out', async () => {
    for (let i = 0; i < 4; i++) expectProblem(await from(`192.0.2.${i + 1}`, withOtherSecret(key)), 401, 'invalid-credential');
    expectProblem(await from('192.0.2.50', withOtherSecret(key)), 429, 'rate-limited');
    expectProblem(await from('192.0.2.51', withOtherSecret(key)), 429, 'rate-limited');
    expect(await metric(/portcullis_brute_force_blocks_total\{kind="credential"\} (\d+)/)).toBe(1);
    await expect.poll(audited).toContain(`credential:${keyId}`);
    // The right secret still works, from any address that is not itself blocked.
    expect((await from('192.0.2.52', key)).status).toBe(200);
    expect((await from('203.0.113.10', key)).status).toBe(200);
  });

  it('counts refused bearer JWTs like refused keys: an IP forging tokens is blocked and audited', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = () =>
      new SignJWT({ client_id: 'cli_forged', scope: 'companies:read' }).setProtectedHeader({ alg: 'ES256', kid: 'forged', typ: 'at+jwt' }).setIssuer(t.gateway.oauth.issuer).setAudience(t.gateway.oauth.issuer).setSubject('cli_forged').setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const attacker = '198.51.100.9';
    const blocksBefore = await metric(/portcullis_brute_force_blocks_total\{kind="ip"\} (\d+)/);
    for (let i = 0; i < 5; i++) expectProblem(await from(attacker, await forged()), 401, 'invalid-credential');
    expectProblem(await from(attacker, await forged()), 429, 'rate-limited');
    expectProblem(await from(attacker, key), 429, 'rate-limited'); // blocked: not even a good key is looked up
    expect(await metric(/portcullis_brute_force_blocks_total\{kind="ip"\} (\d+)/)).toBe(blocksBefore + 1);
    await expect.poll(audited).toContain(`ip:${attacker}`);
  });
});
