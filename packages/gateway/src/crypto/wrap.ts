import { createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { IV_BYTES, KEY_BYTES, TAG_BYTES, seal, unseal } from './aead.js';
import { KeyringError } from './errors.js';

/**
 * Data keys at rest: `wrapped` = IV (12) || AES-256-GCM ciphertext of the 32-byte key (32) || tag (16),
 * under a master key, with AAD `pcdk1.<data key id>.<master key id>` so a wrapped key cannot be
 * swapped onto another row or relabelled with another master key.
 */
export const WRAPPED_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;

export interface WrappingKey {
  id: string;
  key: KeyObject;
}

/** Data key ids appear in every ciphertext, so they are short, random and free of '.'. */
export const DATA_KEY_ID = /^dk_[0-9a-f]{16}$/;

export function newDataKeyId(): string {
  return `dk_${randomBytes(8).toString('hex')}`;
}

export function wrapDataKey(raw: Buffer, dataKeyId: string, master: WrappingKey): Buffer {
  const { iv, ciphertext, tag } = seal(master.key, raw, wrapAad(dataKeyId, master.id));
  return Buffer.concat([iv, ciphertext, tag]);
}

/** Returns the raw data key; the caller zeroes it once it holds a KeyObject. */
export function unwrapDataKey(
  record: { id: string; masterKeyId: string; wrapped: Buffer },
  masters: ReadonlyMap<string, KeyObject>,
): Buffer {
  const master = masters.get(record.masterKeyId);
  if (master === undefined) {
    throw new KeyringError(
      'unknown_master_key',
      `Data key ${record.id} is wrapped under master key ${record.masterKeyId}, which is not configured ` +
        `(configured: ${[...masters.keys()].join(', ')}). Add that master key after the current one in PORTCULLIS_MASTER_KEY.`,
    );
  }
  const { wrapped } = record;
  const raw =
    wrapped.length === WRAPPED_BYTES
      ? unseal(
          master,
          {
            iv: wrapped.subarray(0, IV_BYTES),
            ciphertext: wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES),
            tag: wrapped.subarray(IV_BYTES + KEY_BYTES),
          },
          wrapAad(record.id, record.masterKeyId),
        )
      : undefined;
  if (raw?.length !== KEY_BYTES) {
    throw new KeyringError('unwrap_failed', `Data key ${record.id} failed authentication under master key ${record.masterKeyId}.`);
  }
  return raw;
}

/** Copies the bytes into a KeyObject (which never prints its material) and zeroes the buffer, whatever happens. */
export function toKeyObject(raw: Buffer): KeyObject {
  try {
    return createSecretKey(raw);
  } finally {
    raw.fill(0);
  }
}

function wrapAad(dataKeyId: string, masterKeyId: string): Buffer {
  return Buffer.from(`pcdk1.${dataKeyId}.${masterKeyId}`, 'utf8');
}
