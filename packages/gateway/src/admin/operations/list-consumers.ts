import { z } from 'zod';
import { listConsumers } from '../../credentials/consumers.js';
import { describeConsumer } from '../../credentials/model.js';
import { seesConsumer } from '../actor.js';
import { defineOperation } from '../operation.js';
import { consumerView } from '../views.js';

export const listConsumersOperation = defineOperation({
  id: 'listConsumers',
  method: 'GET',
  path: '/consumers',
  summary: 'List consumers (those the caller may see)',
  permission: 'consumers:read',
  scope: 'consumer',
  request: {},
  response: { status: 200, description: 'the consumers', schema: z.object({ consumers: z.array(consumerView) }) },
  handle: async ({ actor }, { credentials }) => ({
    consumers: (await listConsumers(credentials)).filter((c) => seesConsumer(actor, c.id)).map(describeConsumer),
  }),
});
