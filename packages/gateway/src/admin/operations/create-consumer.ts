import { z } from 'zod';
import { createConsumer } from '../../credentials/consumers.js';
import { describeConsumer } from '../../credentials/model.js';
import { defineOperation } from '../operation.js';
import { consumerView } from '../views.js';

export const createConsumerBody = z.strictObject({ name: z.string().min(1).max(200) });

export const createConsumerOperation = defineOperation({
  id: 'createConsumer',
  method: 'POST',
  path: '/consumers',
  summary: 'Create a consumer',
  permission: 'consumers:write',
  // A developer limited to named consumers cannot add one: its list would not name it.
  scope: 'global',
  request: { body: createConsumerBody },
  response: { status: 201, description: 'the new consumer', schema: consumerView },
  handle: async ({ actor, body }, { credentials }) => describeConsumer(await createConsumer(credentials, actor.id, body.name)),
});
