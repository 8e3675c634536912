import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/index.js';
import { expandPath } from '../../src/request/path-template.js';
import { clientFor } from '../helpers/client.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

describe('path templates', () => {
  it('encodes every parameter as one segment: no traversal, no query, no extra segment', () => {
    expect(expandPath('/companies/{id}/people/{name}', { id: 42, name: 'Zoë Ann' })).toBe('/companies/42/people/Zo%C3%AB%20Ann');
    expect(expandPath('/files/{f}', { f: '../../admin?x=1#y' })).toBe('/files/..%2F..%2Fadmin%3Fx%3D1%23y');
    expect(expandPath('/files/{f}', { f: '..' })).toBe('/files/%2E%2E');
  });

  it('a missing, empty or unused parameter is a TypeError naming it', () => {
    expect(() => expandPath('/companies/{id}', {})).toThrow(/params\.id/);
    expect(() => expandPath('/companies/{id}', { id: '' })).toThrow(/params\.id is empty/);
    expect(() => expandPath('/companies', { id: 1 })).toThrow(/params\.id not used/);
    expect(() => expandPath('companies', {})).toThrow(/must start with "\/"/);
    expect(() => expandPath('/companies?x=1', {})).toThrow(/options\.query/);
  });

  it('sends the encoded path and the query to the server, under the base path', async () => {
    const { client } = clientFor(server, { baseUrl: `${server.url}/v1` });
    await client.get('/files/{f}', { params: { f: '../secrets' }, query: { tag: ['a', 'b'], skip: undefined } });
    expect(server.seen[0]?.url).toBe('/v1/files/..%2Fsecrets?tag=a&tag=b');
    await client.close();
  });
});

describe('JSON and Standard Schema validation (zod)', () => {
  const Company = z.object({ id: z.number(), name: z.string() });

  it('types and validates the response; a mismatch is a ValidationError with paths, not values', async () => {
    server.handle(json(200, { id: 1, name: 'ACME' }));
    const { client } = clientFor(server);
    const res = await client.get('/companies/{id}', { params: { id: 1 }, schema: Company });
    const name: string = res.data.name;
    expect(name).toBe('ACME');
    server.handle(json(200, { id: 'one', name: 'private-value-xyz' }));
    const error = (await client.get('/companies/{id}', { params: { id: 1 }, schema: Company }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid_response');
    expect(error.issues[0]?.path).toEqual(['id']);
    expect(error.message).not.toContain('private-value-xyz');
    await client.close();
  });

  it('validates the input before anything is sent, and sends JSON', async () => {
    server.handle(json(201, {}));
    const { client } = clientFor(server);
    await expect(client.post('/companies', { body: { id: 'x' }, bodySchema: Company })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(server.seen).toHaveLength(0);
    await client.post('/companies', { body: { id: 2, name: 'B' }, bodySchema: Company });
    expect(server.seen[0]).toMatchObject({ body: '{"id":2,"name":"B"}', headers: { 'content-type': 'application/json' } });
    await client.close();
  });
});
