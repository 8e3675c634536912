import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrubSecrets } from '../../src/observe/logger.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const apiKey = generateCredential('apiKey').value;
const adminToken = generateCredential('adminToken').value;
const jwt = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJjb25fMSIsInNjb3BlIjoiYSJ9.c2lnbmF0dXJlLXBsYW50ZWQ';
const cookie = 'session=planted-cookie-value-4711';
const dbPassword = 'planted-db-password-0815';

/** Lenient percent-decoding (a bad escape stays as it is), as a log reader's tool would do it. */
function percentDecoded(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

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

  it('scrubs a JWT or a bearer value in any case and anywhere in a line, and leaves other lines as they are', () => {
    const bearer = 'opaque-token-0123456789';
    for (const line of [`/v1/${jwt}/x`, `BEARER ${bearer}`, `auth=bEaReR   ${bearer};`, `x${jwt}`]) {
      const scrubbed = scrubSecrets(line);
      expect(scrubbed).not.toContain(jwt);
      expect(scrubbed).not.toContain(bearer);
      expect(scrubbed).toContain('[REDACTED]');
    }
    for (const line of ['/companies/1', '/eyes/bear/er', 'GET /Bearer/ok']) expect(scrubSecrets(line)).toBe(line);
  });

  describe('keys run together with other characters, or percent-encoded (issue 6, defect 8)', () => {
    const key = generateCredential('apiKey').value;
    const encodeAll = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    const forms: [string, string][] = [
      ['a letter before', `x${key}`],
      ['a letter after', `${key}x`],
      ['in a path segment with text around it', `/files/report${key}.json`],
      ['after a digit', `/v2${key}`],
      ['underscores encoded', key.replaceAll('_', '%5F')],
      ['underscores encoded, lower case', key.replaceAll('_', '%5f')],
      ['the prefix encoded', `%70%63%6B${key.slice(3)}`],
      ['every character encoded', encodeAll(key)],
      ['double-encoded underscores', key.replaceAll('_', '%255F')],
      ['encoded and run together', `abc${key.replaceAll('_', '%5F')}def`],
      ['twice in a row', `${key}${key}`],
    ];
    it.each(forms)('redacts a key with %s', (_name, form) => {
      const { logger, text } = captureLogs();
      logger.info({ path: form, note: `seen ${form} here` }, `request for ${form}`);
      const all = text();
      expect(all).toContain('[REDACTED]');
      // Not the secret part in any form a reader could decode it to.
      const secret = key.slice(17, 49);
      for (const decoded of [all, percentDecoded(all), percentDecoded(percentDecoded(all))]) expect(decoded).not.toContain(secret);
    });

    it('redacts a mistyped key too (it still carries most of a real secret)', () => {
      const typo = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');
      const { logger, text } = captureLogs();
      logger.info(`got ${typo}`);
      expect(text()).not.toContain(typo.slice(4, 50));
    });

    it('leaves ordinary text alone', () => {
      const { logger, text } = captureLogs();
      logger.info({ path: '/files/a%20b/pck_short_x' }, 'fine');
      expect(text()).toContain('/files/a%20b/pck_short_x');
      expect(text()).not.toContain('[REDACTED]');
    });
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
      // Keys pasted into the path, run together with other characters or percent-encoded: the access log
      // records the path, and must not record the key (defect 8).
      await t.call(`/things/x${apiKey}y`);
      await t.call(`/things/report${apiKey.replaceAll('_', '%5F')}.json`);
      await t.call(`/things/${apiKey.replaceAll('_', '%5f')}`);
      expect(t.logs.lines.length).toBeGreaterThan(5);
      const all = t.logs.text();
      for (const secret of [apiKey, jwt, 'planted-cookie-value-4711', dbPassword]) expect(all).not.toContain(secret);
      expect(percentDecoded(all)).not.toContain(apiKey.slice(17, 49));
    });
  });
});
