import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from '../../src/credentials/consumers.js';
import type { CredentialDeps } from '../../src/credentials/deps.js';
import { SigningKeyResolver, createSigningSecret } from '../../src/credentials/request-signing-keys.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { masterKeyFromBytes } from '../../src/crypto/master-key.js';
import { createInProcessChangeBus } from '../../src/state/change-bus.js';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import type { Database } from '../../src/store/sql.js';

let db: Database;
let deps: CredentialDeps;
let keyring: Keyring;

beforeAll(async () => {
  db = await openEmbeddedDatabase({});
  await migrate(db);
  const bus = createInProcessChangeBus();
  deps = { db, bus, clock: () => Date.now(), policy: { maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000 } };
  keyring = await Keyring.open(db, [masterKeyFromBytes(randomBytes(32))]);
});
afterAll(async () => {
  await db?.close();
});

describe('shared signing secrets at rest and in memory', () => {
  it('resolve to the issued secret, and the decrypted bytes are wiped once the KeyObject holds them', async () => {
    const consumer = await createConsumer(deps, 'test', 'signer');
    const { record, secret } = await createSigningSecret(deps, keyring, 'test', consumer.id);
    // Watch what the keyring hands back (the real keyring underneath).
    const decrypted: Buffer[] = [];
    const decrypt = keyring.decrypt.bind(keyring);
    keyring.decrypt = async (ciphertext, context) => {
      const plaintext = await decrypt(ciphertext, context);
      decrypted.push(plaintext);
      return plaintext;
    };
    const resolver = new SigningKeyResolver(db, keyring, deps.bus);
    try {
      const resolved = await resolver.resolve(record.id);
      expect(resolved?.algorithm).toBe('hmac-sha256');
      expect(resolved?.key.export().toString('base64url')).toBe(secret);
      expect(decrypted).toHaveLength(1);
      expect(decrypted[0]?.length).toBeGreaterThan(0);
      expect(decrypted[0]?.every((byte) => byte === 0)).toBe(true);
    } finally {
      resolver.close();
    }
  });
});
