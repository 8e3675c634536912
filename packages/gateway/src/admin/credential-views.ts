import { CREDENTIAL_PREFIXES } from '@portcullis/protocol';
import type { CredentialDeps } from '../credentials/deps.js';
import { listConsumers } from '../credentials/consumers.js';
import { describeKey } from '../credentials/model.js';
import type { ApiKey } from '../credentials/model.js';
import { refuse } from './http.js';

/** The ids of disabled consumers: their keys show as `disabled`. */
export async function disabledConsumers(deps: CredentialDeps): Promise<Set<string>> {
  return new Set((await listConsumers(deps)).filter((c) => c.disabledAt).map((c) => c.id));
}

/** A key as the admin API shows it now. */
export async function keyNow(deps: CredentialDeps, key: ApiKey) {
  return describeKey(key, deps.policy, deps.clock(), (await disabledConsumers(deps)).has(key.consumerId));
}

/** A key in a URL path would land in logs and histories: it is looked up through POST /keys/lookup instead. */
const KEY_IN_PATH = new RegExp(`^${CREDENTIAL_PREFIXES.apiKey}_`);

export function keyIdParam(param: string): string {
  if (KEY_IN_PATH.test(param)) refuse('bad-request', 'A key does not belong in a URL: send it in the body of POST /admin/v1/keys/lookup to find its id.');
  return param;
}
