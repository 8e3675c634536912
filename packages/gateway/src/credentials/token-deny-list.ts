import type { ChangeBus } from '../state/change-bus.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { appendAudit } from '../observe/audit.js';
import { insertRevokedToken, listRevokedTokens } from './oauth-repository.js';
import { MAX_ACCESS_TOKEN_LIFETIME_MS } from './signing-keys.js';

/**
 * Revoked access tokens by `jti`, until they would have expired anyway. Held in memory at every
 * instance; a revocation is written to the store and announced on the change bus, so every instance
 * refuses the token within a second (CONTRACT §4).
 */
export class TokenDenyList {
  private readonly denied = new Map<string, number>();
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly db: Database,
    private readonly bus: ChangeBus,
    private readonly clock: Clock,
  ) {
    this.unsubscribe = bus.subscribe((event) => {
      // The event carries no expiry: hold the jti for the longest lifetime a token can have.
      if (event.kind === 'access-token') this.remember(event.id, clock() + MAX_ACCESS_TOKEN_LIFETIME_MS);
      else if (event.kind === 'resync') void this.load().catch(() => undefined);
    });
  }

  static async open(db: Database, bus: ChangeBus, clock: Clock): Promise<TokenDenyList> {
    const list = new TokenDenyList(db, bus, clock);
    await list.load();
    return list;
  }

  private async load(): Promise<void> {
    for (const row of await listRevokedTokens(this.db, new Date(this.clock()))) this.remember(row.jti, row.expiresAt);
  }

  private remember(jti: string, until: number): void {
    this.denied.set(jti, Math.max(until, this.denied.get(jti) ?? 0));
    if (this.denied.size % 1024 === 0) this.prune();
  }

  private prune(): void {
    const now = this.clock();
    for (const [jti, until] of this.denied) if (until <= now) this.denied.delete(jti);
  }

  has(jti: string): boolean {
    return this.denied.has(jti);
  }

  /** Refuses the token everywhere until `expiresAt`. Idempotent. */
  async revoke(actor: string, jti: string, clientId: string, expiresAt: number): Promise<void> {
    const now = new Date(this.clock());
    await this.bus.transaction(this.db, async (tx, publish) => {
      if (!(await insertRevokedToken(tx, jti, clientId, new Date(expiresAt)))) return;
      await appendAudit(tx, { actor, action: 'token.revoke', target: jti, detail: { clientId } }, now);
      await publish({ kind: 'access-token', id: jti });
    });
    this.remember(jti, expiresAt);
  }

  close(): void {
    this.unsubscribe();
  }
}
