import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAccessRecords } from '../../src/observe/access-records.js';
import { openDatabase } from '../../src/store/open.js';
import { spawnCli } from '../helpers/cli.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

interface Outcome {
  sentAt: number;
  status?: number;
  requestId?: string;
  error?: string;
}

/**
 * SIGTERM to `portcullis start` while clients keep it busy: what was in flight completes, what comes
 * after is refused at the TCP level, nothing gets a 5xx, and the batched access records and audit
 * records (flushed every 5 s otherwise) are all written before the process exits.
 */
describe('drill: graceful stop under load', () => {
  let dir: string;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-stop-'));
    upstream = await startRecordingUpstream();
    upstream.onRequest((_req, res) => setTimeout(() => res.end('{"ok":true}'), 150));
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM: in-flight requests complete, new connections are refused, no 5xx, access and audit records flushed', { timeout: 60_000 }, async () => {
    const config = join(dir, 'portcullis.yaml');
    writeFileSync(
      config,
      `listen: { port: 0 }\nadmin: { port: 0 }\ndataDir: ./data\nservices:\n  - name: work\n    upstream: ${upstream.url}\n    routes:\n      - { match: "GET /work", scopes: [work] }\n`,
    );
    const gw = spawnCli(['start', '--config', config], { cwd: dir });
    const [, url] = await gw.waitFor(/"url":"(https:\/\/[^"]+)"/, 45_000);
    const [, adminUrl] = await gw.waitFor(/"adminUrl":"(https:\/\/[^"]+)"/);
    const ca = readFileSync(join(dir, 'data', 'tls', 'ca.pem'));
    const agent = new Agent({ connect: { ca }, connections: 16 });
    const token = readFileSync(join(dir, 'data', 'admin.token'), 'utf8').trim();
    const admin = async (path: string, body: unknown) => {
      const res = await request(`${adminUrl}${path}`, {
        dispatcher: agent, method: 'POST', body: JSON.stringify(body),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      return (await res.body.json()) as Record<string, string>;
    };
    const consumer = await admin('/admin/v1/consumers', { name: 'busy-co' });
    const good = (await admin('/admin/v1/keys', { consumerId: consumer.id, scopes: ['work'] })).key as string;
    // A good key used from the wrong address: the 401 of a bad key, and an audit record queued for its owner.
    const fenced = await admin('/admin/v1/keys', { consumerId: consumer.id, scopes: ['work'], allowedIps: ['10.0.0.0/8'] });

    const outcomes: Outcome[] = [];
    let stopAt = Infinity;
    let running = true;
    const client = async (key: string) => {
      while (running) {
        const outcome: Outcome = { sentAt: performance.now() };
        outcomes.push(outcome);
        try {
          const res = await request(`${url}/work`, { dispatcher: agent, headers: { 'x-api-key': key } });
          await res.body.text();
          outcome.status = res.statusCode;
          outcome.requestId = res.headers['x-request-id'] as string;
        } catch (error) {
          outcome.error = (error as { code?: string }).code ?? (error as Error).message;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        if (performance.now() > stopAt + 1_000) running = false;
      }
    };
    const clients = [...Array.from({ length: 10 }, () => client(good)), client(fenced.key as string), client(fenced.key as string)];
    // Busy for a while (at least 1 s and 30 requests, however slow the machine), then the signal.
    const busySince = performance.now();
    while (performance.now() - busySince < 1_000 || outcomes.length < 30) await new Promise((resolve) => setTimeout(resolve, 50));
    stopAt = performance.now();
    gw.child.kill('SIGTERM');
    expect(await gw.exit).toBe(0);
    await Promise.all(clients);
    await agent.close();

    const before = outcomes.filter((o) => o.sentAt < stopAt);
    const answered = outcomes.filter((o) => o.status !== undefined);
    expect(before.length).toBeGreaterThan(20);
    // Everything sent before the signal was answered as it would have been without it.
    for (const o of before) expect(o.error, 'a request in flight at SIGTERM was not completed').toBeUndefined();
    expect(new Set(answered.map((o) => o.status))).toEqual(new Set([200, 401]));
    // After the signal: answered normally while draining, or refused cleanly, never a 5xx.
    for (const o of outcomes) if (o.status !== undefined) expect(o.status).toBeLessThan(500);
    // Refused cleanly: a new connection is refused; a request racing the close of an idle keep-alive
    // connection finds it closed or reset. Either way the request never reached the upstream.
    const errors = new Set(outcomes.filter((o) => o.error).map((o) => o.error));
    for (const code of errors) expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(code);
    expect(errors.has('ECONNREFUSED'), 'new connections after the stop must be refused').toBe(true);
    expect(upstream.seen.length, 'every request the upstream served was answered').toBe(answered.filter((o) => o.status === 200).length);

    // Every answered request has its access record; the refusals of the fenced key are audited.
    const db = await openDatabase({ dataDir: join(dir, 'data') });
    try {
      const ids = new Set((await queryAccessRecords(db, {}, 1_000_000)).map((r) => r.requestId));
      const missing = answered.filter((o) => !ids.has(o.requestId as string));
      expect(missing.length, `${missing.length} of ${answered.length} answered requests have no access record`).toBe(0);
      const audited = await db.query<{ target: string }>("SELECT target FROM audit_events WHERE action = 'key.refused'");
      expect(audited.map((r) => r.target)).toContain(fenced.id);
    } finally {
      await db.close();
    }
    expect(gw.output()).not.toContain(good);
  });
});
