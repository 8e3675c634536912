import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../clock.js';
import { loadSecret, requireSecret } from '../credentials/secret-source.js';
import type { SecretInput } from '../credentials/secret-source.js';
import { freshnessOf } from './cache-control.js';
import type { CacheStore } from './cache-store.js';
import { memoryStore } from './cache-store.js';

export interface CacheOptions {
  /** The secret the encryption key is derived from (HKDF-SHA256): at least 32 characters. */
  key: SecretInput;
  /** `memoryStore()` (default) or `diskStore(dir)`. */
  store?: CacheStore;
  /** Path templates cached without `cache: true` on each call, e.g. `['/companies/{id}']`. */
  routes?: readonly string[];
  /** stale-if-error when the response does not say: how long past freshness a stored answer may stand in, s. Default 0. */
  staleIfError?: number;
  /** How long an expired entry is kept for the circuit breaker's fallback, s. Default 86 400. */
  keepStale?: number;
  /** Separates entries of clients that share a store with different credentials. */
  partition?: string;
}

export interface CachedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly storedAt: number;
  readonly freshUntil: number;
  readonly staleIfErrorUntil: number;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Response headers never written to the cache. */
const NOT_STORED = new Set(['set-cookie', 'authorization', 'www-authenticate', 'proxy-authenticate']);

/**
 * GET responses, stored AES-256-GCM encrypted (node:crypto) with keys derived by HKDF from a secret.
 * Entry names are HMACs of the URL, so the store reveals neither URLs nor bodies; the name is the
 * GCM additional data, so an entry moved to another name fails to decrypt.
 */
export class ResponseCache {
  private readonly store: CacheStore;
  private readonly source;
  private keys: Promise<{ enc: KeyObject; mac: KeyObject }> | undefined;

  constructor(
    private readonly options: CacheOptions,
    private readonly clock: Clock,
    private readonly remember: (secret: string) => void,
  ) {
    this.source = requireSecret(options?.key, 'cache.key');
    this.store = options.store ?? memoryStore();
  }

  /**
   * KeyObjects, made once: on Node 24 (OpenSSL 3.5) a cipher or HMAC given a Buffer key costs 8-10 µs
   * more per call than one given a KeyObject (docs/performance.md).
   */
  private derive(): Promise<{ enc: KeyObject; mac: KeyObject }> {
    this.keys ??= loadSecret(this.source, this.remember).then((secret) => {
      if (secret.length < 32) throw new TypeError(`cache.key (${this.source.name}) must be at least 32 characters, e.g. the output of \`openssl rand -base64 32\`.`);
      const salt = Buffer.from('portcullis-client-cache');
      const derived = (info: string): KeyObject => {
        const bytes = Buffer.from(hkdfSync('sha256', secret, salt, info, 32));
        const key = createSecretKey(bytes); // a copy: the bytes are wiped rather than left to the collector
        bytes.fill(0);
        return key;
      };
      return { enc: derived('aes-256-gcm'), mac: derived('entry-name') };
    });
    return this.keys;
  }

  routeCached(template: string): boolean {
    return this.options.routes?.includes(template) ?? false;
  }

  private async name(url: URL): Promise<string> {
    const { mac } = await this.derive();
    return createHmac('sha256', mac).update(`${this.options.partition ?? ''}\n${url.href}`).digest('hex');
  }

  async get(url: URL): Promise<CachedResponse | undefined> {
    const name = await this.name(url);
    const sealed = await this.store.get(name);
    if (!sealed) return undefined;
    const entry = this.open(Buffer.from(sealed), name, (await this.derive()).enc);
    if (!entry || this.clock.now() > entry.freshUntil + (this.options.keepStale ?? 86_400) * 1000) {
      await this.store.delete(name);
      return undefined;
    }
    return entry;
  }

  async put(url: URL, status: number, headers: Record<string, string>, body: Buffer): Promise<void> {
    const now = this.clock.now();
    const freshness = freshnessOf(status, headers, now);
    if (!freshness) return;
    const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !NOT_STORED.has(name)));
    const freshUntil = now + freshness.maxAgeMs;
    const staleIfError = freshness.staleIfErrorMs ?? (this.options.staleIfError ?? 0) * 1000;
    const entry = { status, headers: kept, body: body.toString('base64'), storedAt: now, freshUntil, staleIfErrorUntil: freshUntil + staleIfError };
    const name = await this.name(url);
    await this.store.set(name, this.seal(Buffer.from(JSON.stringify(entry)), name, (await this.derive()).enc));
  }

  private seal(plain: Buffer, name: string, key: KeyObject): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(name));
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), data]);
  }

  /** Undefined for an entry that fails authentication (tampered, moved, other key): treated as a miss. */
  private open(sealed: Buffer, name: string, key: KeyObject): CachedResponse | undefined {
    if (sealed[0] !== VERSION || sealed.length < 1 + IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES)).setAAD(Buffer.from(name));
      decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
      const entry = JSON.parse(plain.toString('utf8')) as Omit<CachedResponse, 'body'> & { body: string };
      return { ...entry, body: Buffer.from(entry.body, 'base64') };
    } catch {
      return undefined;
    }
  }
}
