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

  it('holds the process open while a statement is out, and not once the store is idle', { timeout: 60_000 }, async () => {
    // A script that opens a store, awaits one answer with nothing else scheduled, and never closes it:
    // it must print the answer (the busy worker kept the process alive) and then exit by itself.
    const script = `
      const { openEmbeddedDatabase } = await import(${JSON.stringify(BUILT_STORE)});
      const db = await openEmbeddedDatabase({});
      console.log(JSON.stringify(await db.query("SELECT 'answered' AS said")));
    `;
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
    expect(out).toContain('[{"said":"answered"}]');
    expect(exited, out).toBe(0);
  });
});
