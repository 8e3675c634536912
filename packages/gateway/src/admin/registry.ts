import type { AnyOperation } from './operation.js';
import { addPublicKeyOperation } from './operations/add-public-key.js';
import { approveAuthorizationOperation } from './operations/approve-authorization.js';
import { consumerIncidentOperation } from './operations/consumer-incident.js';
import { createAdminTokenOperation } from './operations/create-admin-token.js';
import { createClientOperation } from './operations/create-client.js';
import { createConsumerOperation } from './operations/create-consumer.js';
import { createKeyOperation } from './operations/create-key.js';
import { createSigningSecretOperation } from './operations/create-signing-secret.js';
import { denyAuthorizationOperation } from './operations/deny-authorization.js';
import { disableConsumerOperation } from './operations/disable-consumer.js';
import { enableConsumerOperation } from './operations/enable-consumer.js';
import { getClientOperation } from './operations/get-client.js';
import { getConsumerOperation } from './operations/get-consumer.js';
import { getKeyOperation } from './operations/get-key.js';
import { getOpenApiOperation } from './operations/get-openapi.js';
import { listAccessRecordsOperation } from './operations/list-access-records.js';
import { listAdminTokensOperation } from './operations/list-admin-tokens.js';
import { listAlertsOperation } from './operations/list-alerts.js';
import { listAuditEventsOperation } from './operations/list-audit-events.js';
import { listClientsOperation } from './operations/list-clients.js';
import { listConsumersOperation } from './operations/list-consumers.js';
import { listKeysOperation } from './operations/list-keys.js';
import { listSigningKeysOperation } from './operations/list-signing-keys.js';
import { lookupKeyOperation } from './operations/lookup-key.js';
import { reportLeaksOperation } from './operations/report-leaks.js';
import { revokeAdminTokenOperation } from './operations/revoke-admin-token.js';
import { revokeClientOperation } from './operations/revoke-client.js';
import { revokeKeyOperation } from './operations/revoke-key.js';
import { rotateClientSecretOperation } from './operations/rotate-client-secret.js';
import { rotateKeyOperation } from './operations/rotate-key.js';
import { rotateKeyringOperation } from './operations/rotate-keyring.js';
import { rotateSigningKeysOperation } from './operations/rotate-signing-keys.js';
import { verifyAuditOperation } from './operations/verify-audit.js';
import { listUsersOperation } from './operations/list-users.js';
import { createUserOperation } from './operations/create-user.js';
import { changeUserRoleOperation } from './operations/change-user-role.js';
import { disableUserOperation } from './operations/disable-user.js';
import { userSetupLinkOperation } from './operations/user-setup-link.js';
import { listServicesOperation } from './operations/list-services.js';
import { runCheckOperation } from './operations/run-check.js';

/** Every operation of the admin API (CONTRACT §5), one file each under operations/. A new one is added here. */
export const ADMIN_OPERATIONS: readonly AnyOperation[] = [
  listConsumersOperation,
  createConsumerOperation,
  getConsumerOperation,
  disableConsumerOperation,
  enableConsumerOperation,
  listKeysOperation,
  createKeyOperation,
  getKeyOperation,
  lookupKeyOperation,
  rotateKeyOperation,
  revokeKeyOperation,
  createSigningSecretOperation,
  addPublicKeyOperation,
  rotateKeyringOperation,
  listClientsOperation,
  createClientOperation,
  getClientOperation,
  rotateClientSecretOperation,
  revokeClientOperation,
  listSigningKeysOperation,
  rotateSigningKeysOperation,
  approveAuthorizationOperation,
  denyAuthorizationOperation,
  listAccessRecordsOperation,
  listAuditEventsOperation,
  verifyAuditOperation,
  listAlertsOperation,
  consumerIncidentOperation,
  reportLeaksOperation,
  createAdminTokenOperation,
  listAdminTokensOperation,
  revokeAdminTokenOperation,
  getOpenApiOperation,
  listUsersOperation,
  createUserOperation,
  changeUserRoleOperation,
  disableUserOperation,
  userSetupLinkOperation,
  listServicesOperation,
  runCheckOperation,
];
