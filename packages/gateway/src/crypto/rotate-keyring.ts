import { appendAudit } from '../observe/audit.js';
import type { ChangeBus } from '../state/change-bus.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import type { Keyring } from './keyring.js';

export interface KeyringRotation {
  readonly dataKeyId: string;
  readonly masterKeyId: string;
  readonly rewrapped: number;
}

/**
 * `portcullis keyring rotate`: a new active data key, every data key re-wrapped under the current
 * master key, the audit record and the `keyring` change event, in one transaction (ARCHITECTURE.md:
 * writes that change several rows are one transaction). Other instances re-read the active key when
 * the event arrives; until then they encrypt under the previous key, which stays readable everywhere.
 */
export async function rotateKeyring(
  deps: { readonly db: Database; readonly bus: ChangeBus; readonly clock: Clock },
  keyring: Keyring,
  actor: string,
): Promise<KeyringRotation> {
  const at = new Date(deps.clock());
  const masterKeyId = keyring.currentMasterKeyId;
  const rotation = await deps.bus.transaction(deps.db, async (tx, publish) => {
    const staged = await keyring.rotateWithin(tx);
    await appendAudit(tx, { actor, action: 'keyring.rotate', target: staged.id, detail: { rewrapped: staged.rewrapped, masterKeyId } }, at);
    await publish({ kind: 'keyring' });
    return staged;
  });
  rotation.activate();
  return { dataKeyId: rotation.id, masterKeyId, rewrapped: rotation.rewrapped };
}
