/** The integrating application that API keys and OAuth clients belong to. */
export interface Consumer {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

export interface ApiKey {
  readonly id: string;
  readonly consumerId: string;
  readonly scopes: readonly string[];
  readonly allowedIps: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  /** Set when the key was rotated: the key that replaces it. It works until expiresAt (the grace end). */
  readonly rotatedTo: string | null;
  readonly lastUsedAt: Date | null;
}

/** A key together with its hash: only the verifier and the repository ever see this. */
export interface StoredApiKey extends ApiKey {
  readonly secretHash: Buffer;
  readonly consumerDisabled: boolean;
}

export type KeyStatus = 'active' | 'rotating' | 'expired' | 'revoked';

export interface KeyAgePolicy {
  /** Keys older than this are refused (ms). */
  readonly maxAge: number;
  /** Keys older than this are flagged for rotation (ms). */
  readonly warnAge: number;
}

/** When a key stops working: its own expiry or the age limit, whichever comes first. */
export function effectiveExpiry(key: Pick<ApiKey, 'createdAt' | 'expiresAt'>, policy: KeyAgePolicy): number {
  const byAge = key.createdAt.getTime() + policy.maxAge;
  return key.expiresAt ? Math.min(key.expiresAt.getTime(), byAge) : byAge;
}

export function keyStatus(key: ApiKey, policy: KeyAgePolicy, now: number): KeyStatus {
  if (key.revokedAt) return 'revoked';
  if (effectiveExpiry(key, policy) <= now) return 'expired';
  return key.rotatedTo ? 'rotating' : 'active';
}

/**
 * The public view of a key, for the admin API and the CLI: never its hash. A key of a disabled consumer
 * shows as `disabled` while it would otherwise work: it is refused, whatever its own state.
 */
export function describeKey(key: ApiKey, policy: KeyAgePolicy, now: number, consumerDisabled = false) {
  const status = keyStatus(key, policy, now);
  return {
    id: key.id,
    consumerId: key.consumerId,
    scopes: key.scopes,
    allowedIps: key.allowedIps,
    allowedOrigins: key.allowedOrigins,
    status: consumerDisabled && (status === 'active' || status === 'rotating') ? ('disabled' as const) : status,
    createdAt: key.createdAt.toISOString(),
    expiresAt: new Date(effectiveExpiry(key, policy)).toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    rotatedTo: key.rotatedTo,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    /** Past the warning age: rotate it (CONTRACT: keys rotate every 30-60 days). */
    rotationDue: now - key.createdAt.getTime() >= policy.warnAge,
  };
}

export function describeConsumer(consumer: Consumer) {
  return {
    id: consumer.id,
    name: consumer.name,
    status: consumer.disabledAt ? ('disabled' as const) : ('active' as const),
    createdAt: consumer.createdAt.toISOString(),
    disabledAt: consumer.disabledAt?.toISOString() ?? null,
  };
}
