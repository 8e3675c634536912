import type { z } from 'zod';
import type { createAdminTokenBody, createAdminTokenOperation } from './operations/create-admin-token.js';
import type { createClientBody, createClientOperation } from './operations/create-client.js';
import type { createConsumerBody } from './operations/create-consumer.js';
import type { createKeyBody, createKeyOperation } from './operations/create-key.js';
import type { createSigningSecretOperation } from './operations/create-signing-secret.js';
import type { addPublicKeyBody, addPublicKeyOperation } from './operations/add-public-key.js';
import type { consumerIncidentOperation, incidentBody } from './operations/consumer-incident.js';
import type { listAdminTokensOperation } from './operations/list-admin-tokens.js';
import type { listClientsOperation } from './operations/list-clients.js';
import type { listConsumersOperation } from './operations/list-consumers.js';
import type { listKeysOperation } from './operations/list-keys.js';
import type { listSigningKeysOperation } from './operations/list-signing-keys.js';
import type { rotateClientSecretBody, rotateClientSecretOperation } from './operations/rotate-client-secret.js';
import type { rotateKeyBody, rotateKeyOperation } from './operations/rotate-key.js';
import type { rotateKeyringOperation } from './operations/rotate-keyring.js';
import type { rotateSigningKeysBody, rotateSigningKeysOperation } from './operations/rotate-signing-keys.js';
import type { verifyAuditOperation } from './operations/verify-audit.js';
import type {
  accessRecordView,
  adminTokenView,
  alertView,
  auditEventView,
  clientView,
  consumerView,
  keyView,
} from './views.js';

/**
 * The admin API's request and response types, inferred from the operations' zod schemas: the CLI (and
 * the console, and any TypeScript caller) use these instead of writing their own copies. A request type
 * is what is sent (the schema's input: durations as text); a response type is what comes back.
 */
type Sent<T extends z.ZodType> = z.input<T>;
type Answer<O extends { response: { schema: z.ZodType } }> = z.output<O['response']['schema']>;

export type { Role, Permission } from './roles.js';

export type Consumer = z.output<typeof consumerView>;
export type Key = z.output<typeof keyView>;
export type Client = z.output<typeof clientView>;
export type AdminToken = z.output<typeof adminTokenView>;
export type AccessRecord = z.output<typeof accessRecordView>;
export type AuditEvent = z.output<typeof auditEventView>;
export type Alert = z.output<typeof alertView>;

export type CreateConsumerRequest = Sent<typeof createConsumerBody>;
export type ListConsumersResponse = Answer<typeof listConsumersOperation>;
export type CreateKeyRequest = Sent<typeof createKeyBody>;
export type CreateKeyResponse = Answer<typeof createKeyOperation>;
export type ListKeysResponse = Answer<typeof listKeysOperation>;
export type RotateKeyRequest = Sent<typeof rotateKeyBody>;
export type RotateKeyResponse = Answer<typeof rotateKeyOperation>;
export type CreateSigningSecretResponse = Answer<typeof createSigningSecretOperation>;
export type AddPublicKeyRequest = Sent<typeof addPublicKeyBody>;
export type AddPublicKeyResponse = Answer<typeof addPublicKeyOperation>;
export type RotateKeyringResponse = Answer<typeof rotateKeyringOperation>;
export type CreateClientRequest = Sent<typeof createClientBody>;
export type CreateClientResponse = Answer<typeof createClientOperation>;
export type ListClientsResponse = Answer<typeof listClientsOperation>;
export type RotateClientSecretRequest = Sent<typeof rotateClientSecretBody>;
export type RotateClientSecretResponse = Answer<typeof rotateClientSecretOperation>;
export type ListSigningKeysResponse = Answer<typeof listSigningKeysOperation>;
export type RotateSigningKeysRequest = Sent<typeof rotateSigningKeysBody>;
export type RotateSigningKeysResponse = Answer<typeof rotateSigningKeysOperation>;
export type VerifyAuditResponse = Answer<typeof verifyAuditOperation>;
export type IncidentRequest = Sent<typeof incidentBody>;
export type IncidentResponse = Answer<typeof consumerIncidentOperation>;
export type CreateAdminTokenRequest = Sent<typeof createAdminTokenBody>;
export type CreateAdminTokenResponse = Answer<typeof createAdminTokenOperation>;
export type ListAdminTokensResponse = Answer<typeof listAdminTokensOperation>;
