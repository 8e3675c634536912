// Micro-benchmark of OAuth access tokens (issue: OAuth 2.0 and JWT access tokens). In one run:
//   baseline   SHA-256 of a token: the cache key every verification computes first
//   issue      issueAccessToken: an RFC 9068 JWT signed with the current key (ES256 and EdDSA)
//   cached     TokenVerifier.verify on a token verified before (the data plane's steady state)
//   uncached   the same with the verified-token cache emptied each time: header checks + signature + claims
// and prints operations/s with each row's ratio to the baseline. Run: npm run bench:tokens
import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '../packages/gateway/dist/credentials/clients.js';
import { createConsumer } from '../packages/gateway/dist/credentials/consumers.js';
import { issueAccessToken } from '../packages/gateway/dist/credentials/issue-token.js';
import { SigningKeys } from '../packages/gateway/dist/credentials/signing-keys.js';
import { TokenDenyList } from '../packages/gateway/dist/credentials/token-deny-list.js';
import { TokenVerifier } from '../packages/gateway/dist/credentials/verify-token.js';
import { Keyring } from '../packages/gateway/dist/crypto/keyring.js';
import { createInProcessChangeBus } from '../packages/gateway/dist/state/change-bus.js';
import { openEmbeddedDatabase } from '../packages/gateway/dist/store/embedded.js';
import { migrate } from '../packages/gateway/dist/store/migrate.js';
import { measure as measureOps } from './lib/measure.js';

const SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 2);
const ISSUER = 'https://api.bench.invalid';

const measure = (name, op) => measureOps(name, op, { seconds: SECONDS, warmup: 500, batch: 50 });

const db = await openEmbeddedDatabase({});
await migrate(db);
const bus = createInProcessChangeBus();
const clock = () => Date.now();
const keyring = await Keyring.open(db, [{ id: 'bench', key: randomBytes(32) }]);
const deps = { db, bus, clock, policy: { maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000 } };
const consumer = await createConsumer(deps, 'bench', 'bench');
const { client } = await createClient(deps, 'bench', consumer.id, { scopes: ['companies:read'], allowedIps: [], allowedOrigins: [] });
const request = { issuer: ISSUER, audience: ISSUER, lifetimeMs: 3_600_000, clientId: client.id, subject: client.id, scopes: ['companies:read'] };

const rows = [];
const verifiers = [];
for (const algorithm of ['ES256', 'EdDSA']) {
  const keys = await SigningKeys.open({ db, keyring, bus, clock, algorithm });
  await keys.rotate(0, 'bench'); // a key of this algorithm signs from now on
  const denyList = await TokenDenyList.open(db, bus, clock);
  const verifier = new TokenVerifier({ db, bus, clock, keys, denyList, issuer: () => ISSUER, audience: () => ISSUER });
  verifiers.push(verifier, keys, denyList);
  const { accessToken } = await issueAccessToken(keys, { ...request, now: Date.now() });
  const expectOk = async () => {
    const result = await verifier.verify(accessToken);
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  };
  if (algorithm === 'ES256') rows.push(await measure('baseline: sha256 of a token', () => void createHash('sha256').update(accessToken).digest()));
  rows.push(await measure(`issue: ${algorithm} access token`, () => issueAccessToken(keys, { ...request, now: Date.now() })));
  rows.push(await measure(`verify, cached: ${algorithm}`, expectOk));
  rows.push(
    await measure(`verify, uncached: ${algorithm}`, async () => {
      verifier.forgetVerified();
      await expectOk();
    }),
  );
}
for (const v of verifiers) v.close();
await db.close();

const base = rows[0].perSecond;
console.log(`\nOAuth access tokens, ${SECONDS} s per row, Node ${process.version}\n`);
console.log('| case | operations/s | ratio to baseline |\n|---|---:|---:|');
for (const row of rows) console.log(`| ${row.name} | ${Math.round(row.perSecond).toLocaleString('en')} | ${(row.perSecond / base).toFixed(3)} |`);
