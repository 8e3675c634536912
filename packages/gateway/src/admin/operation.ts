import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { AdminActor } from './actor.js';
import type { Permission } from './roles.js';
import type { AdminServices } from './services.js';

/** A reply streamed as JSON lines (application/jsonl) instead of one JSON body: list exports. */
export class JsonLines {
  constructor(readonly lines: AsyncIterable<string>) {}
}

/** What `handle` may return for a response schema: the same document, its arrays possibly readonly. */
export type Reply<T> = T extends readonly (infer U)[] ? readonly Reply<U>[] : T extends object ? { readonly [K in keyof T]: Reply<T[K]> } : T;

export interface OperationCall<P extends z.ZodType, B extends z.ZodType> {
  readonly req: IncomingMessage;
  readonly actor: AdminActor;
  readonly params: z.output<P>;
  /** The query as sent (already checked against the declared query schema). */
  readonly query: URLSearchParams;
  readonly body: z.output<B>;
}

/**
 * One admin API operation, declared whole (as unkey's API keeps one route per file): its route, the
 * request it accepts, the response it gives and the permission it needs. The admin handler checks the
 * permission and validates the request from this declaration before `handle` runs; the OpenAPI document
 * and the CLI's types come from the same schemas.
 */
export interface AdminOperation<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** The OpenAPI operationId. */
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** Below /admin/v1, with `{name}` for a path parameter (always an id: letters, digits, `_`). */
  readonly path: string;
  readonly summary: string;
  readonly permission: Permission;
  /**
   * `consumer`: it works on one consumer's objects and hides the others' (404) from an actor limited to
   * consumers. `global` operations are refused (403) to such an actor.
   */
  readonly scope: 'global' | 'consumer';
  readonly request: { readonly params?: P; readonly query?: Q; readonly body?: B };
  readonly response: { readonly status: number; readonly schema: R; readonly description: string; readonly jsonLines?: boolean };
  readonly handle: (call: OperationCall<P, B>, services: AdminServices) => Promise<Reply<z.input<R>> | JsonLines>;
}

/** Declares an operation; the generics keep `handle` in step with its own schemas. */
export function defineOperation<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUndefined, R extends z.ZodType = z.ZodType>(
  operation: AdminOperation<P, Q, B, R>,
): AdminOperation<P, Q, B, R> {
  return operation;
}

/** The same type with its schemas erased, for the registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = AdminOperation<any, any, any, any>;

/** A path segment naming a record (consumer, key, client, token). */
export const ID_PATTERN = '[A-Za-z0-9_]{1,64}';
export const idSchema = z.string().regex(new RegExp(`^${ID_PATTERN}$`)).describe('a record id');

/** `/consumers/{id}/disable` -> a RegExp with one group per parameter, in order, and their names. */
export function compilePath(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([a-zA-Z]+)\}/g, (_m, name: string) => {
    names.push(name);
    return `(${ID_PATTERN})`;
  });
  return { pattern: new RegExp(`^/admin/v1${source}$`), names };
}
