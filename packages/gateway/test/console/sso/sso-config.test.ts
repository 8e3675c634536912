import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../src/config/load.js';
import { readOidcClientSecret } from '../../../src/config/sso-secrets.js';
import { passwordLoginAllowed } from '../../../src/console/sso/sso-only.js';

/** console.sso: validated with messages that name the key and the fix; SSO-only with break-glass owners. */

const dir = mkdtempSync(join(tmpdir(), 'portcullis-sso-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cert = join(dir, 'idp.pem');
writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const secretFile = join(dir, 'oidc-secret');
writeFileSync(secretFile, 'file-secret-value\n', { mode: 0o600 });

const saml = { entryPoint: 'https://idp.example.com/sso', idpCerts: ['idp.pem'], entityId: 'https://admin.example.com/portcullis', acsUrl: 'https://admin.example.com:8444/console/sso/saml/acs', groupRoles: { ops: 'admin' } };
const oidc = { issuer: 'https://login.example.com', clientId: 'portcullis', clientSecretEnv: 'PC_SECRET', redirectUri: 'https://admin.example.com:8444/console/sso/oidc/callback', groupRoles: { ops: 'admin' } };

const load = (sso: unknown) => validateConfig({ console: { sso } }, 'portcullis.yaml', dir, {});
function problems(sso: unknown): string {
  try {
    load(sso);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('console.sso configuration', () => {
  it('accepts SAML and OIDC with their defaults, and resolves files against the config folder', () => {
    const config = load({ saml, oidc: { ...oidc, clientSecretEnv: undefined, clientSecretFile: 'oidc-secret' }, only: true, breakGlassOwners: ['root'] });
    expect(config.console.sso?.saml).toMatchObject({ idpCerts: [cert], groupAttribute: 'groups', emailAttribute: 'email', clockSkew: 60_000 });
    expect(config.console.sso?.oidc).toMatchObject({ clientSecretFile: secretFile, scopes: ['openid', 'email', 'profile'], groupsClaim: 'groups' });
    expect(readOidcClientSecret(config.console.sso?.oidc as never, 'portcullis.yaml')).toBe('file-secret-value');
    expect(load(undefined).console.sso).toBeUndefined();
  });

  it('refuses an inline client secret, and names where the secret goes', () => {
    expect(problems({ oidc: { ...oidc, clientSecret: 'hunter2' } })).toMatch(/console\.sso\.oidc: unknown key "clientSecret"/);
    const { clientSecretEnv: _, ...noSecret } = oidc;
    expect(problems({ oidc: noSecret })).toContain('console.sso.oidc.clientSecretEnv: the client secret is missing: set clientSecretEnv');
    expect(problems({ oidc: { ...oidc, clientSecretFile: 'oidc-secret' } })).toContain('give clientSecretEnv or clientSecretFile, not both');
  });

  it('names the key and the fix for each mistake', () => {
    expect(problems({ saml: { ...saml, entryPoint: 'http://idp.example.com/sso' } })).toContain('console.sso.saml.entryPoint: expected an https:// URL');
    expect(problems({ saml: { ...saml, idpCerts: ['missing.pem'] } })).toContain(`console.sso.saml.idpCerts[0]: the file ${join(dir, 'missing.pem')} does not exist`);
    expect(problems({ saml: { ...saml, groupRoles: { ops: 'superuser' } } })).toMatch(/console\.sso\.saml\.groupRoles\.ops: expected one of "owner", "admin", "developer", "auditor"/);
    expect(problems({ saml: { ...saml, groupRoles: {} } })).toContain('console.sso.saml.groupRoles: map at least one IdP group to a role');
    expect(problems({ saml: { ...saml, clockSkew: '10m' } })).toContain('console.sso.saml.clockSkew: at most 5m');
    expect(problems({ oidc: { ...oidc, scopes: ['email'] } })).toContain('console.sso.oidc.scopes: include "openid"');
    expect(problems({ saml: { ...saml, acsURL: 'x' } })).toMatch(/did you mean `acsUrl`/);
  });

  it('refuses SSO-only without an IdP or without a break-glass owner', () => {
    expect(problems({ only: true, breakGlassOwners: ['root'] })).toContain('console.sso.only: SSO-only needs an identity provider');
    expect(problems({ saml, only: true })).toContain('console.sso.breakGlassOwners: SSO-only without a break-glass owner locks everyone out');
  });

  it('tells which variable to set when the client secret is not in the environment', () => {
    const config = load({ oidc });
    expect(() => readOidcClientSecret(config.console.sso?.oidc as never, 'portcullis.yaml', {})).toThrow(/console\.sso\.oidc\.clientSecretEnv: set PC_SECRET in the environment/);
    expect(readOidcClientSecret(config.console.sso?.oidc as never, 'portcullis.yaml', { PC_SECRET: 's3cret' })).toBe('s3cret');
  });
});

describe('SSO-only: password sign-in for break-glass owners only', () => {
  const only = load({ saml, only: true, breakGlassOwners: ['root'] }).console.sso;
  const open = load({ saml }).console.sso;

  it.each([
    ['SSO-only, the break-glass owner', only, 'root', 'owner', true],
    ['SSO-only, another owner', only, 'alice', 'owner', false],
    ['SSO-only, a break-glass name no longer an owner', only, 'root', 'admin', false],
    ['SSO-only, an auditor', only, 'audrey', 'auditor', false],
    ['SSO configured but not only', open, 'alice', 'admin', true],
    ['no SSO at all', undefined, 'alice', 'developer', true],
  ] as const)('%s', (_, sso, username, role, allowed) => {
    expect(passwordLoginAllowed(sso, { username, role })).toBe(allowed);
  });
});
