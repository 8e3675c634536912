import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '../helpers/log-capture.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const apiKey = generateCredential('apiKey').value;
const adminToken = generateCredential('adminToken').value;
const jwt = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJjb25fMSIsInNjb3BlIjoiYSJ9.c2lnbmF0dXJlLXBsYW50ZWQ';
const cookie = 'session=planted-cookie-value-4711';
const dbPassword = 'planted-db-password-0815';

describe('no secret reaches a log line', () => {
  it('scrubs credentials, JWTs and known secret fields in any log call', () => {
    const { logger, text } = captureLogs();
    logger.info({ req: { headers: { authorization: `Bearer ${apiKey}`, 'x-api-key': apiKey, cookie } } }, 'incoming');
    logger.warn({ client_secret: 'planted-client-secret', password: 'planted-password' }, 'bad login');
    logger.error(`upstream said: token ${jwt} and key ${adminToken}`);
    logger.info({ nested: { deeper: [`Authorization: Bearer ${apiKey}`] } }, 'odd place');
    const all = text();
    for (const secret of [apiKey, adminToken, jwt, 'planted-cookie-value-4711', 'planted-client-secret', 'planted-password']) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[REDACTED]');
  });

  describe('through a running gateway', () => {
    let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
    let t: TestGateway;
    beforeAll(async () => {
      upstream = await startRecordingUpstream();
      t = await startTestGateway(
        { log: { level: 'trace', access: true }, services: [{ name: 'api', upstream: upstream.url, routes: [{ match: 'GET /**', public: true }] }] },
        { PORTCULLIS_DATABASE_URL: undefined, PGPASSWORD: dbPassword },
      );
    });
    afterAll(async () => {
      await t.stop();
      await upstream.close();
    });

    it('keeps planted secrets from requests out of every log line', async () => {
      await t.call('/things', { headers: { authorization: `Bearer ${apiKey}`, cookie } });
      await t.call('/things', { headers: { 'x-api-key': apiKey } });
      await t.call(`/things/${jwt}`);
      await t.call(`/things?key=${apiKey}`);
      await t.call(`/things?access_token=${jwt}`);
      await t.call('/nope', { headers: { authorization: `Bearer ${jwt}` } });
      expect(t.logs.lines.length).toBeGreaterThan(5);
      const all = t.logs.text();
      for (const secret of [apiKey, jwt, 'planted-cookie-value-4711', dbPassword]) expect(all).not.toContain(secret);
    });
  });
});
