// The consumer that bench credentials belong to. Rounds of one row share a data directory: reuse it.
import { createConsumer, listConsumers } from '../../packages/gateway/dist/credentials/consumers.js';

export async function benchConsumer(deps) {
  const existing = (await listConsumers(deps)).find((c) => c.name === 'bench');
  return existing ?? (await createConsumer(deps, 'bench', 'bench'));
}
