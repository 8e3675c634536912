import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/** Per-route body and header limits, on top of the global ones. */
describe('route limits', () => {
  let t: CredentialGateway;

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      services: [
        {
          name: 'uploads',
          upstream: url,
          routes: [
            { match: 'POST /small', public: true, limits: { maxBodyBytes: 10, maxHeaderBytes: 2048 } },
            { match: 'POST /large', public: true },
          ],
        },
      ],
    }));
  });
  afterAll(async () => {
    await t?.stop();
  });

  const body = (n: number) => 'x'.repeat(n);
  const chunked = (n: number) => Readable.from([Buffer.from(body(n / 2)), Buffer.from(body(n / 2))]);

  it('refuses a declared body over the route limit with 413, and forwards one within it', async () => {
    expect((await t.call('/small', { method: 'POST', body: body(10) })).status).toBe(200);
    expectProblem(await t.call('/small', { method: 'POST', body: body(11) }), 413, 'payload-too-large');
    expect((await t.call('/large', { method: 'POST', body: body(11) })).status).toBe(200);
  });

  it('refuses a streamed (chunked) body once it passes the route limit', async () => {
    expectProblem(await t.call('/small', { method: 'POST', body: chunked(20) }), 413, 'payload-too-large');
    expect((await t.call('/large', { method: 'POST', body: chunked(20) })).status).toBe(200);
  });

  it('refuses headers over the route limit with 431, below the global limit other routes keep', async () => {
    const headers = { 'x-padding': body(3000) };
    expectProblem(await t.call('/small', { method: 'POST', body: '', headers }), 431, 'headers-too-large');
    expect((await t.call('/large', { method: 'POST', body: '', headers })).status).toBe(200);
  });
});
