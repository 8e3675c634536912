// Micro-benchmark of API-key verification (issue: API keys). Measures, in one run:
//   baseline  SHA-256 of a key + timingSafeEqual: the irreducible cost of checking a secret
//   hit       KeyVerifier.verify on a cached key (the steady state: no store round trip)
//   miss      the same after the cache was cleared (one embedded-store query per verification)
//   unknown   a well-formed key that was never issued (negatively cached after the first try)
//   checksum  a mistyped key (refused before any lookup)
// and prints verifications/s with each row's ratio to the baseline. Run: npm run bench:verify
import { createHash, timingSafeEqual } from 'node:crypto';
import { generateCredential } from '../packages/protocol/dist/index.js';
import { createConsumer } from '../packages/gateway/dist/credentials/consumers.js';
import { createApiKey } from '../packages/gateway/dist/credentials/issue-key.js';
import { KeyVerifier } from '../packages/gateway/dist/credentials/verify-key.js';
import { createInProcessChangeBus } from '../packages/gateway/dist/state/change-bus.js';
import { openEmbeddedDatabase } from '../packages/gateway/dist/store/embedded.js';
import { migrate } from '../packages/gateway/dist/store/migrate.js';
import { measure as measureOps } from './lib/measure.js';

const KEYS = 1_000;
const SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 2);

const measure = (name, op) => measureOps(name, op, { seconds: SECONDS });

const db = await openEmbeddedDatabase({});
await migrate(db);
const bus = createInProcessChangeBus();
const deps = { db, bus, clock: () => Date.now(), policy: { maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000 } };
const consumer = await createConsumer(deps, 'bench', 'bench');
const keys = [];
for (let i = 0; i < KEYS; i++) keys.push((await createApiKey(deps, 'bench', consumer.id, { scopes: ['a'], allowedIps: [], allowedOrigins: [] })).value);
const verifier = new KeyVerifier({ db, bus, clock: deps.clock, policy: deps.policy });
const stored = createHash('sha256').update(keys[0]).digest();
const unknown = generateCredential('apiKey').value;
const typo = `${keys[0].slice(0, 20)}${keys[0][20] === 'a' ? 'b' : 'a'}${keys[0].slice(21)}`;

const expectOk = async (value, ok) => {
  const result = await verifier.verify(value);
  if (result.ok !== ok) throw new Error(`unexpected verification result for the ${ok ? 'valid' : 'invalid'} key`);
};
const rows = [
  await measure('baseline: sha256 + timingSafeEqual', async (i) => {
    timingSafeEqual(createHash('sha256').update(keys[i % KEYS]).digest(), stored);
  }),
  await measure('hit: cached key', (i) => expectOk(keys[i % KEYS], true)),
  await measure('miss: store lookup each time', async (i) => {
    verifier.clear();
    await expectOk(keys[i % KEYS], true);
  }),
  await measure('refusal: unknown key (negative cache)', () => expectOk(unknown, false)),
  await measure('refusal: wrong checksum', () => expectOk(typo, false)),
];
verifier.close();
await db.close();

const base = rows[0].perSecond;
console.log(`\nAPI-key verification, ${KEYS} keys, ${SECONDS} s per row, Node ${process.version}\n`);
console.log('| case | verifications/s | ratio to baseline |\n|---|---:|---:|');
for (const row of rows) console.log(`| ${row.name} | ${Math.round(row.perSecond).toLocaleString('en')} | ${(row.perSecond / base).toFixed(3)} |`);
