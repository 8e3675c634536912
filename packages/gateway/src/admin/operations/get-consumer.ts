import { z } from 'zod';
import { getConsumer } from '../../credentials/consumers.js';
import { describeConsumer } from '../../credentials/model.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { consumerView } from '../views.js';

export const getConsumerOperation = defineOperation({
  id: 'getConsumer',
  method: 'GET',
  path: '/consumers/{id}',
  summary: 'Show one consumer',
  permission: 'consumers:read',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the consumer', schema: consumerView },
  handle: async ({ actor, params }, { credentials }) => {
    ensureConsumerVisible(actor, params.id);
    return describeConsumer(await getConsumer(credentials, params.id));
  },
});
