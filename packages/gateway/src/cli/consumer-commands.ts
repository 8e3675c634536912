import type { Command } from 'commander';
import { client, print, withCommon } from './common.js';
import type { Consumer, CreateConsumerRequest, ListConsumersResponse } from '../admin/api-types.js';
import type { Common } from './common.js';
import { details, status, table, when } from './output.js';


const path = (id: string, action = '') => `/consumers/${encodeURIComponent(id)}${action}`;

export function registerConsumerCommands(program: Command): void {
  const consumers = program.command('consumers').description('manage the applications that call your API');
  withCommon(consumers.command('create').description('create a consumer').requiredOption('--name <name>', 'a unique name')).action(
    async (o: Common & { name: string }) => {
      const c = await client(o)<Consumer>('POST', '/consumers', { name: o.name } satisfies CreateConsumerRequest);
      print(o, c, () => `created consumer ${c.id} (${c.name})`);
    },
  );
  withCommon(consumers.command('list').description('list consumers')).action(async (o: Common) => {
    const reply = await client(o)<ListConsumersResponse>('GET', '/consumers');
    print(o, reply, () =>
      reply.consumers.length === 0
        ? 'no consumers'
        : table(['ID', 'NAME', 'STATUS', 'CREATED'], reply.consumers.map((c) => [c.id, c.name, status(c.status), when(c.createdAt)])),
    );
  });
  withCommon(consumers.command('get').description('show one consumer').argument('<id>', 'consumer id (con_...)')).action(async (id: string, o: Common) => {
    const c = await client(o)<Consumer>('GET', path(id));
    print(o, c, () => consumerDetails(c));
  });
  withCommon(consumers.command('disable').description('disable a consumer: all of its keys stop working at once').argument('<id>')).action(
    async (id: string, o: Common) => {
      const c = await client(o)<Consumer>('POST', path(id, '/disable'));
      print(o, c, () => `disabled consumer ${c.id} (${c.name}): its keys are refused from now on`);
    },
  );
  withCommon(consumers.command('enable').description('enable a disabled consumer: its keys that are still valid work again').argument('<id>')).action(
    async (id: string, o: Common) => {
      const c = await client(o)<Consumer>('POST', path(id, '/enable'));
      print(o, c, () => `enabled consumer ${c.id} (${c.name})`);
    },
  );
}

function consumerDetails(c: Consumer): string {
  return details([
    ['id', c.id],
    ['name', c.name],
    ['status', status(c.status)],
    ['created', when(c.createdAt)],
    ...(c.disabledAt ? [['disabled', when(c.disabledAt)] as const] : []),
  ]);
}
