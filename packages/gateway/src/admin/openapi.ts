import { z } from 'zod';
import type { AnyOperation } from './operation.js';
import { ROLE_PERMISSIONS, ROLES } from './roles.js';

/** JSON Schema 2020-12 (the dialect of OpenAPI 3.1) from a zod schema, without its `$schema` line. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // `unrepresentable: 'any'`: a custom check (a JWK parser) documents as "any value", its description says what.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  return rest;
}

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

function parameters(operation: AnyOperation): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = [];
  for (const [where, schema] of [['path', operation.request.params], ['query', operation.request.query]] as const) {
    if (!schema) continue;
    const shape = (schema as z.ZodObject).shape;
    for (const [name, field] of Object.entries(shape)) {
      const described = jsonSchema(field, 'input');
      list.push({ name, in: where, required: where === 'path' || !field.safeParse(undefined).success, ...(typeof described.description === 'string' ? { description: described.description } : {}), schema: described });
    }
  }
  return list;
}

function describeOperation(operation: AnyOperation): Record<string, unknown> {
  const { status, schema, description, jsonLines } = operation.response;
  const content: Record<string, unknown> = { 'application/json': { schema: jsonSchema(schema, 'output') } };
  if (jsonLines) content['application/jsonl'] = { schema: { type: 'string', description: 'with format=jsonl: one JSON document per line' } };
  const roles = ROLES.filter((role) => ROLE_PERMISSIONS[role].has(operation.permission));
  return {
    operationId: operation.id,
    summary: operation.summary,
    description: `Needs the permission \`${operation.permission}\` (roles: ${roles.join(', ')}).`,
    'x-permission': operation.permission,
    parameters: parameters(operation),
    ...(operation.request.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.request.body, 'input') } } } } : {}),
    responses: {
      [String(status)]: { description, content },
      '400': problemResponse('the request is not valid; `errors` names each field'),
      '401': problemResponse('no admin credential, or one that is unknown, expired or revoked'),
      '403': problemResponse("the caller's role lacks the permission"),
      '404': problemResponse('no such record (or one the caller may not see)'),
      default: problemResponse('an error (RFC 9457 problem details)'),
    },
  };
}

/** The admin API as an OpenAPI 3.1 document, generated from the operations' own zod schemas. */
export function openApiDocument(operations: readonly AnyOperation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const path = `/admin/v1${operation.path}`;
    paths[path] = { ...paths[path], [operation.method.toLowerCase()]: describeOperation(operation) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Portcullis admin API', version: '1', description: 'Roles and permissions: docs/rbac.md.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ adminToken: [] }],
    paths,
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'an admin token (pca_...), or a console session' } },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, field: { type: 'string' }, detail: { type: 'string' } } } },
          },
          required: ['type', 'title', 'status'],
        },
      },
    },
  };
}
