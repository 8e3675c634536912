import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { parseRawResponse, rawExchange } from '../helpers/raw-http.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

/**
 * The request target, through a real gateway with raw bytes (an HTTP client would normalise the very
 * paths under test). A public `GET /files/**` route stands for a key allowed on one subtree: nothing
 * that a servlet container, IIS, a WSGI server or a double-decoding framework could resolve outside
 * it may reach the upstream (issue 6, defects 2 and 6).
 */

let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
let t: TestGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  t = await startTestGateway({
    services: [{ name: 'files', upstream: upstream.url, routes: [{ match: 'GET /files/**', public: true }, { match: 'GET /admin/**', scopes: ['admin'] }] }],
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

async function get(target: string) {
  return parseRawResponse(await rawExchange(t.gateway.url, t.ca, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
}

/** Paths that some parser reads as another path than the one matched. */
const AMBIGUOUS_PATHS = [
  // matrix parameters: Tomcat, Jetty and Spring strip `;...` before resolving dot segments
  '/files/a/..;/..;/admin',
  '/files/..;/admin',
  '/files/..;jsessionid=x/admin',
  '/files/.;/admin',
  '/files/a;/b',
  '/files/a;x=1',
  '/files/%2e%2e;/admin',
  '/files/..%3b/admin',
  '/files/..%3B/admin',
  // dot segments in any spelling
  '/files/../admin',
  '/files/./x',
  '/files/%2e%2e/admin',
  '/files/%2E%2E/admin',
  '/files/.%2e/admin',
  '/files/%2e./admin',
  '/files/%2e/x',
  '/files/a%2ejson', // an encoded dot at all: some decode it before resolving, some after
  '/files/...',
  '/files/.. /admin',
  '/files/..%20/admin', // Windows trims trailing spaces and dots
  '/files/..%09/admin',
  '/files/%ef%bc%8e%ef%bc%8e/admin', // fullwidth full stops, NFKC ".."
  // separators, encoded or odd
  '/files/a%2fb',
  '/files/..%2fadmin',
  '/files/a%5cb',
  '/files/..%5cadmin',
  '/files\\..\\admin',
  '/files/a\\b',
  '/files//admin',
  '/files/a%00b',
  '/files/a%0d%0ab',
  '/files/%ef%bc%8fadmin', // fullwidth solidus, NFKC "/"
  '/files/%ef%bc%bcadmin', // fullwidth reverse solidus
  // double encoding: a second decode turns %252e into "."
  '/files/%252e%252e/admin',
  '/files/%252fadmin',
  '/files/%25%32%65',
  // invalid or overlong UTF-8, IIS %u escapes
  '/files/%c0%ae%c0%ae/admin',
  '/files/%u002e%u002e/admin',
  '/files/%zz',
];

describe('paths that two parsers could read differently', () => {
  it.each(AMBIGUOUS_PATHS)('refuses %s with 400, and the upstream never sees it', async (target) => {
    const before = upstream.seen.length;
    const reply = await get(target);
    expect(reply.status, target).toBe(400);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(reply.text)).toMatchObject({ type: 'urn:portcullis:problem:bad-request', status: 400 });
    expect(upstream.seen.length).toBe(before);
  });

  it.each([
    ['/files/report.json', '/files/report.json'],
    ['/files/a%20b', '/files/a%20b'],
    ['/files/caf%C3%A9', '/files/caf%C3%A9'],
    ['/files/%61', '/files/%61'],
    ['/files/a-b_c~d', '/files/a-b_c~d'],
    ['/files/v1.2/x', '/files/v1.2/x'],
    ['/files/a?x=..;/admin', '/files/a?x=..;/admin'],
  ])('lets the canonical path %s through, exactly as sent', async (target, forwarded) => {
    const reply = await get(target);
    expect(reply.status, reply.text).toBe(200);
    expect(upstream.seen.at(-1)?.url).toBe(forwarded);
  });
});

describe('a credential in the query string is found in every form an upstream might read', () => {
  const key = generateCredential('apiKey').value;
  const encodedUnderscores = key.replaceAll('_', '%5F');
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  const queries = [
    `k=${key}`,
    `k=x${key}`, // run together with other characters
    `k=${key}x`,
    `k=${encodedUnderscores}`,
    `k=${key.replaceAll('_', '%255F')}`, // double-encoded
    `k=%70${key.slice(1)}`, // an encoded letter
    `bad=%zz&k=${encodedUnderscores}`, // an invalid escape elsewhere (defect 6)
    `bad=%&k=${encodedUnderscores}`,
    `bad=%E0%A4%A&k=${encodedUnderscores}`,
    `k=1;api_key=opaque`,
    'access_token=opaque',
    'ACCESS_TOKEN=opaque',
    'api_key=opaque',
    'api-key=opaque',
    'API.KEY=opaque', // PHP reads "." in a name as "_"
    'api%20key=opaque',
    'api_key[]=opaque',
    'x-api-key=opaque',
    'apikey=opaque',
    'access%5Ftoken=opaque',
    'bad=%zz&access%5Ftoken=opaque',
    `t=${jwt}`,
    `t=x${jwt}`,
  ];
  it.each(queries)('refuses ?%s with 400 credential-in-query', async (query) => {
    const before = upstream.seen.length;
    const reply = await get(`/files/a?${query}`);
    expect(reply.status, query).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ type: 'urn:portcullis:problem:credential-in-query' });
    expect(upstream.seen.length).toBe(before);
    expect(t.logs.text()).not.toContain(key);
  });

  it.each(['page=2&sort=name', 'q=%zz', 'key=value', 'token_type=x', 'q=pck_short'])('lets ?%s through', async (query) => {
    expect((await get(`/files/a?${query}`)).status).toBe(200);
  });
});
