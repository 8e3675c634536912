import { readFileSync } from 'node:fs';
import { ConfigError } from './load.js';
import type { OidcSsoConfig } from './sso-schema.js';

/**
 * The OIDC client secret, read when SSO starts rather than kept in the frozen configuration, so it is
 * never part of anything that might be printed. Throws a ConfigError naming the key and the fix.
 */
export function readOidcClientSecret(oidc: OidcSsoConfig, source: string, env: NodeJS.ProcessEnv = process.env): string {
  let secret: string | undefined;
  if (oidc.clientSecretEnv !== undefined) {
    secret = env[oidc.clientSecretEnv];
    if (!secret) {
      throw new ConfigError(source, [`console.sso.oidc.clientSecretEnv: set ${oidc.clientSecretEnv} in the environment to the client secret your IdP issued for ${oidc.clientId}`]);
    }
  } else if (oidc.clientSecretFile !== undefined) {
    try {
      secret = readFileSync(oidc.clientSecretFile, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(source, [`console.sso.oidc.clientSecretFile: ${oidc.clientSecretFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path and its permissions`]);
    }
    if (!secret) throw new ConfigError(source, [`console.sso.oidc.clientSecretFile: ${oidc.clientSecretFile} is empty; write the client secret into it`]);
  }
  if (!secret) throw new ConfigError(source, ['console.sso.oidc: set clientSecretEnv or clientSecretFile']);
  return secret;
}
