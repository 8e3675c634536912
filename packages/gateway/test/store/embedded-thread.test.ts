import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import type { Database } from '../../src/store/sql.js';

/** The built store (`npm test` builds first): a child process runs JavaScript only. */
const BUILT_STORE = fileURLToPath(new URL('../../dist/store/embedded.js', import.meta.url));

let db: Database;
beforeAll(async () => {
  db = await openEmbeddedDatabase({});
  await db.query('CREATE TABLE filler (n int PRIMARY KEY, note text)');
});
afterAll(async () => {
  await db.close();
});

describe('embedded store on its own thread', () => {
  it('a long statement does not stop the main thread: timers keep firing while it runs', { timeout: 60_000 }, async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    // One statement that keeps PostgreSQL busy for a good while (WebAssembly runs it synchronously).
    await db.query("INSERT INTO filler SELECT n, repeat('x', 100) FROM generate_series(1, 200000) AS n");
    const tookMs = performance.now() - started;
    clearInterval(timer);
    expect(tookMs).toBeGreaterThan(100);
    // In process, PGlite would have held the thread for the whole statement: no tick at all.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(tookMs / 5 / 4));
    expect(await db.query<{ count: string }>('SELECT count(*) FROM filler')).toEqual([{ count: '200000' }]);
  });

  it('runs with small shared memory: 128 MB of buffers set up at every open cost 0.4 s of start-up', async () => {
    expect(await db.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
    expect(await db.query('SHOW max_connections')).toEqual([{ max_connections: '5' }]);
  });

  it('holds the process open while a statement is out, and not once the store is idle', { timeout: 60_000 }, async () => {
    // A script that opens a store, awaits one answer with nothing else scheduled, and never closes it:
    // it must print the answer (the busy worker kept the process alive) and then exit by itself.
    const { out, exited } = await runScript(`
      const { openEmbeddedDatabase } = await import(${JSON.stringify(BUILT_STORE)});
      const db = await openEmbeddedDatabase({});
      console.log(JSON.stringify(await db.query("SELECT 'answered' AS said")));
    `);
    expect(out).toContain('[{"said":"answered"}]');
    expect(exited, out).toBe(0);
  });

  it('a worker prepared ahead (portcullis start) serves the next store, once, and an unused one does not hold the process', { timeout: 60_000 }, async () => {
    // Prepared, then two stores opened: the first takes the spare, the second starts its own thread.
    // Then a spare nobody takes: the process must still end by itself.
    const { out, exited } = await runScript(`
      const { openEmbeddedDatabase, prepareEmbeddedStore } = await import(${JSON.stringify(BUILT_STORE)});
      prepareEmbeddedStore();
      prepareEmbeddedStore(); // idempotent: still one spare
      const first = await openEmbeddedDatabase({});
      const second = await openEmbeddedDatabase({});
      await first.query('CREATE TABLE t (n int)');
      console.log(JSON.stringify([await first.query('SELECT count(*)::int AS n FROM t'), await second.query("SELECT to_regclass('t') AS t")]));
      await first.close();
      await second.close();
      prepareEmbeddedStore();
    `);
    // Two separate databases: the table made in the first is not in the second.
    expect(out).toContain('[[{"n":0}],[{"t":null}]]');
    expect(exited, out).toBe(0);
  });
});

/** Runs an ES module script in a child node process; its output and exit code (-1: killed after 45 s). */
async function runScript(script: string): Promise<{ out: string; exited: number | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(-1);
    }, 45_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { out, exited };
}
