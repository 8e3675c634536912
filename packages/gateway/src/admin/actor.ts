import type { IncomingMessage } from 'node:http';
import type { Role } from './roles.js';

export type { Role } from './roles.js';

/**
 * Who is calling the admin API, however they proved it: an admin token (`Authorization: Bearer`) or a
 * console session. Every permission check and every audit record works from this alone.
 */
export interface AdminActor {
  readonly kind: 'token' | 'session';
  /** What the audit log names as the actor: the admin token id, or the console user's id. */
  readonly id: string;
  readonly role: Role;
  /** A developer limited to these consumers: anything of another consumer answers 404. */
  readonly consumers?: readonly string[];
}

/**
 * Finds the actor of a request, or undefined when the request does not carry this resolver's kind of
 * credential (or carries a bad one). The admin handler tries its resolvers in order; the first actor
 * wins. A resolver may also refuse outright by throwing an AdminRefusal (a session without its CSRF
 * token on a state-changing request).
 */
export type ActorResolver = (req: IncomingMessage) => Promise<AdminActor | undefined>;

/** Whether the actor may see this consumer and everything it owns. */
export function seesConsumer(actor: AdminActor, consumerId: string): boolean {
  return actor.consumers === undefined || actor.consumers.includes(consumerId);
}
