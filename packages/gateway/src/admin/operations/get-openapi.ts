import { z } from 'zod';
import { defineOperation } from '../operation.js';

export const getOpenApiOperation = defineOperation({
  id: 'getOpenApi',
  method: 'GET',
  path: '/openapi.json',
  summary: 'This API described as an OpenAPI 3.1 document, generated from its schemas',
  permission: 'api:describe',
  scope: 'consumer',
  request: {},
  response: { status: 200, description: 'the OpenAPI document', schema: z.record(z.string(), z.unknown()) },
  handle: async (_call, { describeApi }) => describeApi(),
});
