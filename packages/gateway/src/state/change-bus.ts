import { EventEmitter } from 'node:events';

/**
 * What changed in durable state, so every instance can drop what it cached about it. In-process for one
 * instance; a Redis pub/sub implementation of the same interface carries it across a cluster.
 */
export type ChangeEvent =
  | { readonly kind: 'api-key'; readonly id: string }
  | { readonly kind: 'consumer'; readonly id: string }
  /** Events may have been missed (the bus reconnected): drop everything cached. */
  | { readonly kind: 'resync' };

export function isChangeEvent(value: unknown): value is ChangeEvent {
  const v = value as { kind?: unknown; id?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  if (v.kind === 'resync') return true;
  return (v.kind === 'api-key' || v.kind === 'consumer') && typeof v.id === 'string' && v.id.length <= 64;
}

export interface ChangeBus {
  publish(event: ChangeEvent): Promise<void>;
  subscribe(listener: (event: ChangeEvent) => void): () => void;
  close(): Promise<void>;
}

export function createInProcessChangeBus(): ChangeBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(event) {
      emitter.emit('change', event);
    },
    subscribe(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
