import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { CREDENTIAL_PREFIXES } from '@portcullis/protocol';
import { formatDuration } from '../config/duration.js';
import { durationSchema, ipRangeSchema, originHostSchema, scopeSchema } from '../config/syntax.js';
import { createConsumer, disableConsumer, enableConsumer, getConsumer, listConsumers } from '../credentials/consumers.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { createApiKey } from '../credentials/issue-key.js';
import { describeConsumer, describeKey } from '../credentials/model.js';
import { listApiKeys } from '../credentials/repository.js';
import { findApiKeyByValue, getApiKey, revokeApiKey } from '../credentials/revoke-key.js';
import { rotateApiKey } from '../credentials/rotate-key.js';
import { addPublicKey, createSigningSecret, parseEd25519Jwk } from '../credentials/request-signing-keys.js';
import type { Keyring } from '../crypto/keyring.js';
import { rotateKeyring } from '../crypto/rotate-keyring.js';
import type { AdminIdentity, AdminRole } from './admin-tokens.js';
import { readJson, refuse } from './http.js';
import { clientRoutes } from './client-routes.js';

export interface AdminCall {
  readonly req: IncomingMessage;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly admin: AdminIdentity;
}

export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
  /** Instead of a JSON body: JSON lines (application/jsonl), streamed as they are read. */
  readonly lines?: AsyncIterable<string>;
}

export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handle: (call: AdminCall) => Promise<AdminReply>;
  /** Who may call it; by default every role for GET, every role but auditor otherwise. */
  readonly roles?: readonly AdminRole[];
}

const ID = '([A-Za-z0-9_]{1,64})';
/** A key in a URL path would land in logs and histories: it is looked up through POST /keys/lookup instead. */
const KEY_IN_PATH = new RegExp(`^${CREDENTIAL_PREFIXES.apiKey}_`);
const DEFAULT_GRACE_MS = 24 * 3_600_000;

const duration = durationSchema('24h');
const scope = scopeSchema;
const cidr = ipRangeSchema;
const originHost = originHostSchema;

const createConsumerBody = z.strictObject({ name: z.string().min(1).max(200) });
const createKeyBody = z.strictObject({
  consumerId: z.string().min(1),
  scopes: z.array(scope).max(100).default([]),
  allowedIps: z.array(cidr).max(100).default([]),
  allowedOrigins: z.array(originHost).max(100).default([]),
  expiresIn: duration.optional(),
});
// A zero grace cuts a leaked key over at once; a lifetime of zero would make a key that never works.
const rotateBody = z.strictObject({ grace: durationSchema('24h', { allowZero: true }).optional() });
const lookupBody = z.strictObject({ key: z.string().min(1).max(200) });
const publicKeyBody = z.strictObject({
  jwk: z.unknown().transform((jwk, ctx) => {
    const parsed = parseEd25519Jwk(jwk);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }
    return parsed.jwk;
  }),
});
const signingKeyView = (record: { id: string; consumerId: string; algorithm: string; createdAt: Date }) => ({
  keyId: record.id,
  consumerId: record.consumerId,
  algorithm: record.algorithm,
  createdAt: record.createdAt.toISOString(),
});

/** The admin API (CONTRACT §5), one entry per operation. */
export function adminRoutes(deps: CredentialDeps, keyring: Keyring, extra: readonly AdminRoute[] = []): AdminRoute[] {
  const now = () => deps.clock();
  const disabledConsumers = async () => new Set((await listConsumers(deps)).filter((c) => c.disabledAt).map((c) => c.id));
  const key = async (k: Parameters<typeof describeKey>[0]) => describeKey(k, deps.policy, now(), (await disabledConsumers()).has(k.consumerId));
  const keyId = (param: string | undefined): string => {
    if (KEY_IN_PATH.test(param ?? '')) refuse('bad-request', 'A key does not belong in a URL: send it in the body of POST /admin/v1/keys/lookup to find its id.');
    return param as string;
  };
  return [
    ...clientRoutes(deps),
    ...extra,
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/consumers$/,
      handle: async () => ({ status: 200, body: { consumers: (await listConsumers(deps)).map(describeConsumer) } }),
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/consumers$/,
      handle: async ({ req, admin }) => {
        const body = await readJson(req, createConsumerBody);
        return { status: 201, body: describeConsumer(await createConsumer(deps, admin.tokenId, body.name)) };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/admin/v1/consumers/${ID}$`),
      handle: async ({ params }) => ({ status: 200, body: describeConsumer(await getConsumer(deps, params[0] as string)) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/consumers/${ID}/disable$`),
      handle: async ({ params, admin }) => ({ status: 200, body: describeConsumer(await disableConsumer(deps, admin.tokenId, params[0] as string)) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/consumers/${ID}/enable$`),
      handle: async ({ params, admin }) => ({ status: 200, body: describeConsumer(await enableConsumer(deps, admin.tokenId, params[0] as string)) }),
    },
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/keys$/,
      handle: async ({ query }) => {
        const consumer = query.get('consumer') ?? undefined;
        if (consumer) await getConsumer(deps, consumer);
        const disabled = await disabledConsumers();
        const keys = (await listApiKeys(deps.db, consumer)).map((k) => describeKey(k, deps.policy, now(), disabled.has(k.consumerId)));
        return { status: 200, body: { keys } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/keys$/,
      handle: async ({ req, admin }) => {
        const body = await readJson(req, createKeyBody);
        if (body.expiresIn !== undefined && body.expiresIn > deps.policy.maxAge) {
          // Refused rather than quietly capped: the caller would believe in a lifetime the key does not have.
          const detail = `${formatDuration(body.expiresIn)} is longer than the gateway's key age limit, keys.maxAge = ${formatDuration(deps.policy.maxAge)}: ask for at most ${formatDuration(deps.policy.maxAge)}, or raise keys.maxAge`;
          refuse('bad-request', 'The request body is not valid.', { errors: [{ pointer: '/expiresIn', field: 'expiresIn', detail }] });
        }
        const issued = await createApiKey(deps, admin.tokenId, body.consumerId, body);
        return { status: 201, body: { ...(await key(issued.key)), key: issued.value } };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/admin/v1/keys/${ID}$`),
      handle: async ({ params }) => ({ status: 200, body: await key(await getApiKey(deps, keyId(params[0]))) }),
    },
    {
      // The key itself (what one holds after a leak), found by its hash; POST so it is never in a URL.
      method: 'POST',
      pattern: /^\/admin\/v1\/keys\/lookup$/,
      roles: ['owner', 'admin', 'developer', 'auditor'],
      handle: async ({ req }) => {
        const body = await readJson(req, lookupBody);
        const found = await findApiKeyByValue(deps, body.key);
        if (!found) refuse('not-found', 'No key matches the key given.');
        return { status: 200, body: await key(found) };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/keys/${ID}/rotate$`),
      handle: async ({ req, params, admin }) => {
        const body = await readJson(req, rotateBody);
        const rotated = await rotateApiKey(deps, admin.tokenId, keyId(params[0]), body.grace ?? DEFAULT_GRACE_MS);
        return {
          status: 201,
          body: { ...(await key(rotated.key)), key: rotated.value, replaces: params[0], graceEndsAt: rotated.graceEndsAt.toISOString() },
        };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/keys/${ID}/revoke$`),
      handle: async ({ params, admin }) => ({ status: 200, body: await key(await revokeApiKey(deps, admin.tokenId, keyId(params[0]))) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/consumers/${ID}/signing-secrets$`),
      handle: async ({ params, admin }) => {
        // The secret is in this response only: it is stored sealed and never shown again.
        const created = await createSigningSecret(deps, keyring, admin.tokenId, params[0] as string);
        return { status: 201, body: { ...signingKeyView(created.record), secret: created.secret } };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/consumers/${ID}/public-keys$`),
      handle: async ({ req, params, admin }) => {
        const body = await readJson(req, publicKeyBody);
        return { status: 201, body: signingKeyView(await addPublicKey(deps, admin.tokenId, params[0] as string, body.jwk)) };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/keyring\/rotate$/,
      roles: ['owner', 'admin'],
      handle: async ({ admin }) => ({ status: 200, body: await rotateKeyring(deps, keyring, admin.tokenId) }),
    },
  ];
}

