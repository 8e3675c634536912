import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED, auth } from '../../src/index.js';
import { Redactor } from '../../src/observe/redact.js';
import { clientFor } from '../helpers/client.js';
import { captureLogs } from '../helpers/log-capture.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

const KEY = 'pc_live_planted-api-key-4d3c2b1a0f9e';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('redaction', () => {
  it('by name, case-insensitively and at any depth, and by value wherever a held secret appears', () => {
    const redactor = new Redactor(['email']);
    redactor.remember('super-secret-value-123');
    const out = redactor.value({
      Authorization: 'Bearer abc',
      nested: { deeper: [{ 'X-API-KEY': 'k', Email: 'a@b.c', note: 'token=super-secret-value-123 in text' }] },
      url: 'https://h/x?key=super-secret-value-123',
      encoded: `q=${encodeURIComponent('super-secret-value-123')}`,
      Refresh_Token: 'r',
    });
    expect(out).toEqual({
      Authorization: REDACTED,
      nested: { deeper: [{ 'X-API-KEY': REDACTED, Email: REDACTED, note: `token=${REDACTED} in text` }] },
      url: `https://h/x?key=${REDACTED}`,
      encoded: `q=${REDACTED}`,
      Refresh_Token: REDACTED,
    });
  });

  it('masks a Portcullis credential found by its format even when the client does not hold it', () => {
    const stranger = generateCredential('apiKey').value;
    expect(new Redactor().value({ note: `leaked:${stranger}.` })).toEqual({ note: `leaked:${REDACTED}.` });
  });

  it('logs of a client holding a planted key contain it nowhere: not from URLs, errors or bodies', async () => {
    server.handle((req, res) => {
      // A careless server echoes the credential back in a problem document.
      res.writeHead(req.url?.startsWith('/fail') ? 503 : 200, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: `bad key ${KEY}`, detail: { echoed: req.headers.authorization } }));
    });
    const logs = captureLogs();
    const { client } = clientFor(server, { logger: logs.logger, retry: { retries: 1 }, auth: auth.apiKey({ key: KEY }) });
    await client.get('/ok/{k}', { params: { k: KEY }, query: { key: KEY } });
    const error = (await client.get('/fail', { query: { token: KEY } }).catch((e: unknown) => e)) as Error & { problem: unknown; body: unknown };
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(error.problem)).not.toContain(KEY);
    expect(JSON.stringify(error.body)).not.toContain(KEY);
    expect(logs.lines.length).toBeGreaterThan(2);
    expect(logs.text()).not.toContain(KEY);
    expect(logs.text()).toContain(REDACTED);
    await client.close();
  });

  it('events count and reach listeners; a throwing listener does not break the call', async () => {
    server.handle(json(503, {}));
    const { client } = clientFor(server, {
      retry: { retries: 2 },
      circuitBreaker: false,
      events: {
        retry: () => {
          throw new Error('monitoring bug');
        },
      },
    });
    await expect(client.get('/x')).rejects.toMatchObject({ status: 503 });
    expect(client.counters.retry).toBe(2);
    await client.close();
  });
});
