import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMasterKeys } from '../../src/crypto/master-key.js';
import { openDatabase } from '../../src/store/open.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl } from '../helpers/postgres.js';
// The victim's own invariant check, run here once more after the last kill.
// @ts-expect-error a plain JS fixture (it runs the built code), without types
import { checkInvariants } from '../fixtures/rotation-loop.js';

skipMessage('kill -9 drill on PostgreSQL');

const CHILD = fileURLToPath(new URL('../fixtures/rotation-loop.js', import.meta.url));
/**
 * Kills per store: 25 on each, fifty in all, in the suite (about a second a life for the embedded store,
 * which starts PGlite each time); PORTCULLIS_KILL_DRILL_ROUNDS=50 for fifty on each.
 */
const KILLS = Number(process.env.PORTCULLIS_KILL_DRILL_ROUNDS ?? 25);
/** The kill lands at a random moment this long after the victim starts rotating. */
const KILL_WITHIN_MS = 300;

interface Known {
  apiKeys: string[];
  clientSecret: string;
  hmacKeyIds: string[];
}

/** One life of the victim: it checks what the previous kill left, rotates, and is killed at a random time. */
const living = new Set<ChildProcess>();

function runVictim(dataDir: string, knownFile: string, env: NodeJS.ProcessEnv, known: Known): Promise<{ checked: string[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, knownFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    living.add(child);
    child.once('exit', () => living.delete(child));
    let output = '';
    let buffered = '';
    let checked: string[] | undefined;
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output += `${line}\n`;
        const message = JSON.parse(line) as Record<string, unknown>;
        if (typeof message.apiKey === 'string') known.apiKeys.push(message.apiKey);
        if (typeof message.clientSecret === 'string') known.clientSecret = message.clientSecret;
        if (typeof message.hmacKeyId === 'string') known.hmacKeyIds.push(message.hmacKeyId);
        if (Array.isArray(message.checked)) checked = message.checked as string[];
        if (message.ready) setTimeout(() => child.kill('SIGKILL'), Math.random() * KILL_WITHIN_MS);
      }
    });
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL' && checked) resolve({ checked, output });
      else reject(new Error(`the victim ended by itself (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

async function drill(dataDir: string, extraEnv: NodeJS.ProcessEnv, reopen: () => ReturnType<typeof openDatabase>) {
  const masters = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
  const known: Known = { apiKeys: [], clientSecret: '', hmacKeyIds: [] };
  const knownFile = join(dataDir, '..', `${randomBytes(4).toString('hex')}-known.json`);
  for (let round = 0; round < KILLS; round++) {
    writeFileSync(knownFile, JSON.stringify(known));
    // Alternating master-key order: each life's first keyring rotation re-wraps every data key.
    const order = round % 2 === 0 ? masters : [...masters].reverse();
    const { checked, output } = await runVictim(dataDir, knownFile, { ...extraEnv, PORTCULLIS_MASTER_KEY: order.join(',') }, known);
    expect(checked.join('; '), `after kill ${round}:\n${output}`).toBe('');
  }
  // After the last kill: this process opens the store and checks once more.
  const db = await reopen();
  try {
    const result = (await checkInvariants(db, parseMasterKeys(masters.join(','), 'test'), known)) as { problems: string[]; counts: { apiKeys: number; dataKeys: number; signingKeys: number; audit: number } };
    expect(result.problems).toEqual([]);
    // The loop got somewhere: rotations of every kind committed across the kills.
    expect(result.counts.apiKeys).toBeGreaterThan(2);
    expect(result.counts.dataKeys).toBeGreaterThan(2);
    expect(result.counts.signingKeys).toBeGreaterThan(2);
    // Every reported key was committed; a key goes unreported only when a kill fell between its commit
    // and the report (at most one per kill).
    expect(known.apiKeys.length).toBeLessThanOrEqual(result.counts.apiKeys);
    expect(result.counts.apiKeys - known.apiKeys.length).toBeLessThanOrEqual(KILLS);
  } finally {
    await db.close();
  }
}

// The two stores run side by side: PostgreSQL's lives mostly wait on the server.
// LONG: about a second per embedded life on a quiet machine (PGlite starts each time), far more when busy.
describe.concurrent('drill: kill -9 during rotations', () => {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-kill-'));
  afterAll(() => {
    for (const child of living) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it(`embedded store: ${KILLS} kills, every credential valid, every ciphertext decrypts, audit chain intact, opens without repair`, { timeout: 300_000 }, async () => {
    const dataDir = join(root, 'embedded');
    await drill(dataDir, {}, () => openDatabase({ dataDir }));
  });

  it.skipIf(!testDatabaseUrl)(`PostgreSQL: ${KILLS} kills, the same invariants`, { timeout: 300_000 }, async () => {
    const schema = randomSchema('pc_kill');
    try {
      await drill(join(root, 'pg'), { DRILL_DATABASE_URL: testDatabaseUrl, DRILL_SCHEMA: schema }, () =>
        openDatabase({ dataDir: join(root, 'pg'), url: testDatabaseUrl as string, schema }),
      );
    } finally {
      await dropSchema(schema);
    }
  });
});
