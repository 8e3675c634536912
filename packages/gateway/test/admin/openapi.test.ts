import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_OPERATIONS } from '../../src/admin/registry.js';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/** GET /admin/v1/openapi.json: generated from the operations' zod schemas, whole, valid, and true to the API. */
let g: CredentialGateway;
let doc: { openapi: string; paths: Record<string, Record<string, { operationId: string; 'x-permission': string; responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
let auditor: string;

beforeAll(async () => {
  g = await startCredentialGateway();
  auditor = ((await g.admin('POST', '/admin/v1/admin-tokens', { role: 'auditor' })).json() as { token: string }).token;
  const reply = await g.admin('GET', '/admin/v1/openapi.json', undefined, { headers: { authorization: `Bearer ${auditor}` } });
  expect(reply.status, reply.text).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  doc = reply.json() as typeof doc;
});
afterAll(async () => g?.stop());

describe('the OpenAPI document', () => {
  it('is a well-formed OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has every registered operation, under its path and method, with its permission', () => {
    for (const operation of ADMIN_OPERATIONS) {
      const entry = doc.paths[`/admin/v1${operation.path}`]?.[operation.method.toLowerCase()];
      expect(entry, `${operation.method} ${operation.path}`).toMatchObject({ operationId: operation.id, 'x-permission': operation.permission });
    }
    const documented = Object.values(doc.paths).flatMap((methods) => Object.keys(methods));
    expect(documented).toHaveLength(ADMIN_OPERATIONS.length);
  });

  it('describes what the API really answers (responses validate against their documented schemas)', async () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const consumer = await g.createConsumer('described');
    await g.createKey({ consumerId: consumer, scopes: ['companies:read'] });
    for (const [path, method] of [['/admin/v1/consumers', 'get'], ['/admin/v1/keys', 'get'], ['/admin/v1/admin-tokens', 'get'], ['/admin/v1/audit', 'get'], ['/admin/v1/signing-keys', 'get'], ['/admin/v1/audit/verify', 'get']] as const) {
      const schema = doc.paths[path]?.[method]?.responses['200']?.content?.['application/json']?.schema as object;
      const reply = await g.admin('GET', path);
      expect(reply.status, reply.text).toBe(200);
      const validate = ajv.compile(schema);
      expect(validate(reply.json()), `${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('is for authenticated callers only', async () => {
    expectProblem(await g.admin('GET', '/admin/v1/openapi.json', undefined, { headers: { authorization: undefined } }), 401, 'invalid-credential');
  });
});
