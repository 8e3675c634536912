import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

type Upstream = Awaited<ReturnType<typeof startRecordingUpstream>>;
const reset = (req: IncomingMessage) => req.socket.destroy();
const ok = (_req: IncomingMessage, res: ServerResponse) => res.end('{"ok":true}');

/** An upstream that times out, resets, or goes down, behind real gateways (docs/configuration.md, services). */
describe('drill: upstream trouble', () => {
  let plain: Upstream;
  let retried: Upstream;
  let guarded: Upstream;
  let t: TestGateway;
  const service = (name: string, url: string, extra: Record<string, unknown>) => ({ name, upstream: url, routes: [{ match: `* /${name}/*`, public: true }], ...extra });

  beforeAll(async () => {
    [plain, retried, guarded] = await Promise.all([startRecordingUpstream(), startRecordingUpstream(), startRecordingUpstream()]);
    t = await startTestGateway({
      services: [
        service('plain', plain.url, { timeout: '300ms' }),
        service('retried', retried.url, { retries: 2 }),
        service('guarded', guarded.url, { circuitBreaker: { failures: 3, cooldown: '1s' } }),
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([plain?.close(), retried?.close(), guarded?.close()]);
  });

  it('an upstream timeout is 504 and a reset is 502, problem+json with no detail of the cause', async () => {
    plain.onRequest(() => undefined); // never answers
    const slow = await t.call('/plain/x');
    expect(expectProblem(slow, 504, 'gateway-timeout').detail).toBeUndefined();
    plain.onRequest(reset);
    const cut = await t.call('/plain/x');
    expect(expectProblem(cut, 502, 'bad-gateway').detail).toBeUndefined();
    for (const reply of [slow, cut]) expect(reply.text).not.toMatch(/ECONN|UND_ERR|socket|127\.0\.0\.1/i);
  });

  it('retries: an idempotent request without a body is sent again after a reset; POST and bodies never are', async () => {
    let resets = 2;
    retried.onRequest((req, res) => (resets-- > 0 ? reset(req) : ok(req, res)));
    const before = retried.seen.length;
    expect((await t.call('/retried/a')).status).toBe(200);
    expect(retried.seen.length - before).toBe(3);

    retried.onRequest(reset);
    for (const [method, body] of [['POST', undefined], ['PUT', '{"v":1}'], ['PATCH', undefined]] as const) {
      const start = retried.seen.length;
      const reply = await t.call('/retried/b', { method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
      expectProblem(reply, 502, 'bad-gateway');
      expect(retried.seen.length - start, `${method} was sent more than once`).toBe(1);
    }
    // The retries are bounded: a GET that always fails is sent 1 + retries times.
    const start = retried.seen.length;
    expectProblem(await t.call('/retried/c'), 502, 'bad-gateway');
    expect(retried.seen.length - start).toBe(3);
  });

  it('circuit breaker: after 3 failures requests fail fast with 503 and the metric says so; one trial after the cooldown closes it', async () => {
    guarded.onRequest(reset);
    for (let i = 0; i < 3; i++) expectProblem(await t.call('/guarded/x'), 502, 'bad-gateway');
    const reached = guarded.seen.length;
    const fast = await t.call('/guarded/x');
    expectProblem(fast, 503, 'unavailable');
    expect(Number(fast.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(guarded.seen.length, 'an open circuit must not reach the upstream').toBe(reached);
    let metrics = (await t.admin('/metrics')).text;
    expect(metrics).toMatch(/portcullis_upstream_circuit_open\{service="guarded"\} 1/);
    expect(metrics).toMatch(/portcullis_upstream_short_circuited_total\{service="guarded"\} 1/);

    guarded.onRequest(ok);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await t.call('/guarded/x')).status).toBe(200); // the trial
    expect((await t.call('/guarded/x')).status).toBe(200);
    metrics = (await t.admin('/metrics')).text;
    expect(metrics).toMatch(/portcullis_upstream_circuit_open\{service="guarded"\} 0/);
    // A service without a breaker keeps trying its upstream.
    plain.onRequest(reset);
    for (let i = 0; i < 5; i++) expectProblem(await t.call('/plain/y'), 502, 'bad-gateway');
  });
});
