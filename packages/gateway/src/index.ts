export { loadConfig, validateConfig, ConfigError } from './config/load.js';
export type { Config } from './config/load.js';
export { startGateway } from './server/gateway.js';
export type { Gateway, GatewayOptions } from './server/gateway.js';
export { createLogger, scrubSecrets } from './observe/logger.js';
export { startSampleUpstream } from './demo/sample-upstream.js';
export type { SampleUpstream } from './demo/sample-upstream.js';
/** The admin API's request and response types (docs/rbac.md), for TypeScript callers of /admin/v1. */
export type {
  AccessRecord,
  AdminToken,
  Alert,
  AuditEvent,
  Client,
  Consumer,
  CreateAdminTokenRequest,
  CreateAdminTokenResponse,
  CreateClientRequest,
  CreateClientResponse,
  CreateConsumerRequest,
  CreateKeyRequest,
  CreateKeyResponse,
  Key,
  ListAdminTokensResponse,
  ListClientsResponse,
  ListConsumersResponse,
  ListKeysResponse,
  Permission,
  Role,
  RotateClientSecretRequest,
  RotateClientSecretResponse,
  RotateKeyRequest,
  RotateKeyResponse,
} from './admin/api-types.js';
