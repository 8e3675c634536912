import { z } from 'zod';
import { enableConsumer } from '../../credentials/consumers.js';
import { describeConsumer } from '../../credentials/model.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { consumerView } from '../views.js';

export const enableConsumerOperation = defineOperation({
  id: 'enableConsumer',
  method: 'POST',
  path: '/consumers/{id}/enable',
  summary: 'Enable a disabled consumer again',
  permission: 'consumers:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the consumer, enabled', schema: consumerView },
  handle: async ({ actor, params }, { credentials }) => {
    ensureConsumerVisible(actor, params.id);
    return describeConsumer(await enableConsumer(credentials, actor.id, params.id));
  },
});
