import { z } from 'zod';
import { disableConsumer } from '../../credentials/consumers.js';
import { describeConsumer } from '../../credentials/model.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { consumerView } from '../views.js';

export const disableConsumerOperation = defineOperation({
  id: 'disableConsumer',
  method: 'POST',
  path: '/consumers/{id}/disable',
  summary: 'Disable a consumer: all of its keys stop working at once, at every instance',
  permission: 'consumers:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the consumer, disabled', schema: consumerView },
  handle: async ({ actor, params }, { credentials }) => {
    ensureConsumerVisible(actor, params.id);
    return describeConsumer(await disableConsumer(credentials, actor.id, params.id));
  },
});
