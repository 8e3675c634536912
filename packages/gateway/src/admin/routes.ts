import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { durationSchema, ipRangeSchema, scopeSchema } from '../config/syntax.js';
import { createConsumer, disableConsumer, getConsumer, listConsumers } from '../credentials/consumers.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { createApiKey } from '../credentials/issue-key.js';
import { describeConsumer, describeKey } from '../credentials/model.js';
import { listApiKeys } from '../credentials/repository.js';
import { getApiKey, revokeApiKey } from '../credentials/revoke-key.js';
import { rotateApiKey } from '../credentials/rotate-key.js';
import { addPublicKey, createSigningSecret, parseEd25519Jwk } from '../credentials/signing-keys.js';
import type { Keyring } from '../crypto/keyring.js';
import { rotateKeyring } from '../crypto/rotate-keyring.js';
import { verifyAuditChain } from '../observe/audit.js';
import type { AdminIdentity, AdminRole } from './admin-tokens.js';
import { readJson } from './http.js';

export interface AdminCall {
  readonly req: IncomingMessage;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly admin: AdminIdentity;
}

export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
}

export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handle: (call: AdminCall) => Promise<AdminReply>;
  /** Who may call it; by default every role for GET, every role but auditor otherwise. */
  readonly roles?: readonly AdminRole[];
}

const ID = '([A-Za-z0-9_]{1,64})';
const DEFAULT_GRACE_MS = 24 * 3_600_000;

const duration = durationSchema('24h');
const scope = scopeSchema;
const cidr = ipRangeSchema;
const originHost = z
  .string()
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'expected a host such as "app.example.com" or "*.example.com"');

const createConsumerBody = z.strictObject({ name: z.string().min(1).max(200) });
const createKeyBody = z.strictObject({
  consumerId: z.string().min(1),
  scopes: z.array(scope).max(100).default([]),
  allowedIps: z.array(cidr).max(100).default([]),
  allowedOrigins: z.array(originHost).max(100).default([]),
  expiresIn: duration.optional(),
});
const rotateBody = z.strictObject({ grace: duration.optional() });
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
export function adminRoutes(deps: CredentialDeps, keyring: Keyring): AdminRoute[] {
  const now = () => deps.clock();
  const key = (k: Parameters<typeof describeKey>[0]) => describeKey(k, deps.policy, now());
  return [
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
      method: 'GET',
      pattern: /^\/admin\/v1\/keys$/,
      handle: async ({ query }) => {
        const consumer = query.get('consumer') ?? undefined;
        if (consumer) await getConsumer(deps, consumer);
        return { status: 200, body: { keys: (await listApiKeys(deps.db, consumer)).map(key) } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/keys$/,
      handle: async ({ req, admin }) => {
        const body = await readJson(req, createKeyBody);
        const issued = await createApiKey(deps, admin.tokenId, body.consumerId, body);
        return { status: 201, body: { ...key(issued.key), key: issued.value } };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/admin/v1/keys/${ID}$`),
      handle: async ({ params }) => ({ status: 200, body: key(await getApiKey(deps, params[0] as string)) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/keys/${ID}/rotate$`),
      handle: async ({ req, params, admin }) => {
        const body = await readJson(req, rotateBody);
        const rotated = await rotateApiKey(deps, admin.tokenId, params[0] as string, body.grace ?? DEFAULT_GRACE_MS);
        return {
          status: 201,
          body: { ...key(rotated.key), key: rotated.value, replaces: params[0], graceEndsAt: rotated.graceEndsAt.toISOString() },
        };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/keys/${ID}/revoke$`),
      handle: async ({ params, admin }) => ({ status: 200, body: key(await revokeApiKey(deps, admin.tokenId, params[0] as string)) }),
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
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/audit\/verify$/,
      handle: async () => {
        const result = await verifyAuditChain(deps.db);
        return { status: 200, body: result };
      },
    },
  ];
}
