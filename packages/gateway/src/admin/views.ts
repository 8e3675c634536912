import { z } from 'zod';
import { ALERT_RULES } from '../observe/alerts.js';
import { ROLES } from './roles.js';

/**
 * The response documents the admin API sends, as zod schemas: the OpenAPI document and the exported
 * types (admin/api-types.ts) are generated from them, and each operation's `handle` is type-checked
 * against its own.
 */

const time = z.iso.datetime({ offset: true });

export const consumerView = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  createdAt: time,
  disabledAt: time.nullable(),
});

export const keyView = z.object({
  id: z.string(),
  consumerId: z.string(),
  scopes: z.array(z.string()),
  allowedIps: z.array(z.string()),
  allowedOrigins: z.array(z.string()),
  status: z.enum(['active', 'rotating', 'expired', 'revoked', 'disabled']),
  createdAt: time,
  expiresAt: time,
  revokedAt: time.nullable(),
  rotatedTo: z.string().nullable(),
  lastUsedAt: time.nullable(),
  rotationDue: z.boolean(),
});

/** A key with its value: in this response only, never again. */
export const issuedKeyView = keyView.extend({ key: z.string().describe('the API key itself, shown this once') });

export const clientView = z.object({
  client_id: z.string(),
  consumerId: z.string(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'private_key_jwt']),
  scopes: z.array(z.string()),
  allowedIps: z.array(z.string()),
  allowedOrigins: z.array(z.string()),
  redirectUris: z.array(z.string()),
  dpopBound: z.boolean(),
  status: z.enum(['active', 'revoked']),
  createdAt: time,
  revokedAt: time.nullable(),
  jwk: z.record(z.string(), z.unknown()).optional(),
});

export const requestSigningKeyView = z.object({
  keyId: z.string(),
  consumerId: z.string(),
  algorithm: z.string(),
  createdAt: time,
});

export const tokenSigningKeyView = z.object({
  kid: z.string(),
  alg: z.string(),
  signsFrom: time,
  status: z.enum(['signing', 'next', 'retired']),
});

export const accessRecordView = z.object({
  seq: z.string(),
  at: time,
  requestId: z.string(),
  consumerId: z.string().nullable(),
  credentialId: z.string().nullable(),
  credentialKind: z.string().nullable(),
  service: z.string().nullable(),
  route: z.string().nullable(),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  latencyMs: z.number(),
  upstreamMs: z.number().nullable(),
  clientIp: z.string(),
  problem: z.string().nullable(),
});

export const auditEventView = z.object({
  seq: z.string(),
  at: time,
  actor: z.string().describe('who made the change: an admin token id, a console user, or "system"'),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export const alertView = z.object({
  id: z.string(),
  at: time,
  rule: z.enum(ALERT_RULES),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  subject: z.string(),
  message: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const adminTokenView = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  consumers: z.array(z.string()).nullable().describe('the consumers a developer token is limited to; null: all'),
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: time,
  createdBy: z.string().nullable(),
  expiresAt: time.nullable(),
  revokedAt: time.nullable(),
});

/** A page of a list: its items under one name, and the cursor of the next page (null at the end). */
export function pageOf<K extends string, T extends z.ZodType>(name: K, item: T) {
  return z.object({ [name]: z.array(item), nextCursor: z.string().nullable() } as { [P in K]: z.ZodArray<T> } & { nextCursor: z.ZodNullable<z.ZodString> });
}

/** A console user (docs/console.md): never a hash or a secret. */
export const userView = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  enrolled: z.boolean().describe('a password and MFA are set'),
  createdAt: time,
  disabledAt: time.nullable(),
});

/** A user with a one-time setup link: the token is in the fragment, which browsers never send to a server. */
export const userWithSetupView = userView.extend({
  setupPath: z.string().describe('/console/setup#token=...: shown once; works once, until expiresAt'),
  expiresAt: time,
});

const rateLimitView = z.object({ requests: z.number(), per: z.number() }).nullable();

export const serviceView = z.object({
  name: z.string(),
  upstream: z.string(),
  timeoutMs: z.number(),
  rateLimit: rateLimitView,
  ipRateLimit: rateLimitView,
  routes: z.array(z.object({ match: z.string(), scopes: z.array(z.string()), public: z.boolean(), signature: z.string(), rateLimit: rateLimitView })),
});

export const findingView = z.object({
  ruleId: z.string(),
  severity: z.string(),
  title: z.string(),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().optional(),
  explanation: z.string(),
  fix: z.string(),
});
