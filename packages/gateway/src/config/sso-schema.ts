import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { durationSchema } from './syntax.js';
import { ROLES as CONSOLE_ROLES } from '../lib/roles.js';

/**
 * Single sign-on for the console (docs/sso.md): SAML 2.0 and OpenID Connect, each mapping the IdP's
 * groups to a console role, and `only` to make SSO the only way in but for named break-glass owners.
 * Secrets never sit in this file: the OIDC client secret comes from the environment or a file.
 */


const httpsUrl = (example: string) =>
  z.string().refine((text) => {
    try {
      return new URL(text).protocol === 'https:';
    } catch {
      return false;
    }
  }, `expected an https:// URL such as "${example}" (sign-in messages carry identities: never over plain HTTP)`);

const groupRoles = z
  .record(z.string().min(1), z.enum(CONSOLE_ROLES, { error: `expected one of ${CONSOLE_ROLES.map((r) => `"${r}"`).join(', ')}` }))
  .refine((map) => Object.keys(map).length > 0, 'map at least one IdP group to a role, e.g. groupRoles: { portcullis-admins: admin }: nobody is let in without one');

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name such as "PORTCULLIS_OIDC_CLIENT_SECRET"');

export const samlSsoSchema = z.strictObject({
  /** The IdP's SAML 2.0 single sign-on URL (HTTP-Redirect binding). */
  entryPoint: httpsUrl('https://idp.example.com/app/portcullis/sso/saml'),
  /** The IdP's entity id; when set, an assertion from another issuer is refused. */
  idpIssuer: z.string().min(1).optional(),
  /** PEM files of the IdP's signing certificate(s); two during the IdP's certificate rollover. */
  idpCerts: z.array(z.string().min(1)).min(1, 'give the path of the IdP signing certificate (PEM), e.g. idpCerts: [./okta-signing.pem]'),
  /** Our entity id, the Audience every assertion must name. */
  entityId: z.string().min(1),
  /** Our Assertion Consumer Service URL: the Recipient and Destination every response must name. */
  acsUrl: httpsUrl('https://admin.example.com:8444/console/sso/saml/acs'),
  groupAttribute: z.string().min(1).default('groups'),
  emailAttribute: z.string().min(1).default('email'),
  groupRoles,
  /** Clock difference tolerated between us and the IdP; at most 5 minutes. */
  clockSkew: durationSchema('1m', { allowZero: true })
    .default(60_000)
    .refine((ms) => ms <= 300_000, 'at most 5m: a wider window keeps stolen assertions usable for longer'),
});

export const oidcSsoSchema = z
  .strictObject({
    /** The OpenID Provider's issuer; its discovery document is at issuer/.well-known/openid-configuration. */
    issuer: httpsUrl('https://login.example.com/realms/ops'),
    clientId: z.string().min(1),
    /** The client secret, from the environment (clientSecretEnv) or a file (clientSecretFile), never inline. */
    clientSecretEnv: envName.optional(),
    clientSecretFile: z.string().min(1).optional(),
    redirectUri: httpsUrl('https://admin.example.com:8444/console/sso/oidc/callback'),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'expected a scope such as "openid"')).default(['openid', 'email', 'profile']),
    groupsClaim: z.string().min(1).default('groups'),
    groupRoles,
    /** PEM file of a private CA for the issuer's certificate; its certificate is always validated. */
    ca: z.string().min(1).optional(),
  })
  .superRefine((oidc, ctx) => {
    const given = [oidc.clientSecretEnv, oidc.clientSecretFile].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecretEnv'],
        message:
          given === 0
            ? 'the client secret is missing: set clientSecretEnv: PORTCULLIS_OIDC_CLIENT_SECRET (and that variable), or clientSecretFile: /run/secrets/oidc-client-secret'
            : 'give clientSecretEnv or clientSecretFile, not both',
      });
    }
    if (!oidc.scopes.includes('openid')) ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'include "openid": without it there is no ID token to verify' });
  });

export const ssoSchema = z
  .strictObject({
    saml: samlSsoSchema.optional(),
    oidc: oidcSsoSchema.optional(),
    /** SSO as the only way in: password sign-in is refused but for the breakGlassOwners. */
    only: z.boolean().default(false),
    /** Local owner accounts that may still sign in with a password (and MFA) when `only` is set. */
    breakGlassOwners: z.array(z.string().min(1)).default([]),
  })
  .superRefine((sso, ctx) => {
    if (sso.only && !sso.saml && !sso.oidc) {
      ctx.addIssue({ code: 'custom', path: ['only'], message: 'SSO-only needs an identity provider: configure console.sso.saml or console.sso.oidc, or set only: false' });
    }
    if (sso.only && sso.breakGlassOwners.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['breakGlassOwners'],
        message: 'SSO-only without a break-glass owner locks everyone out when the IdP is down: name at least one local owner, e.g. breakGlassOwners: [owner]',
      });
    }
  });

export type SsoConfig = z.output<typeof ssoSchema>;
export type SamlSsoConfig = z.output<typeof samlSsoSchema>;
export type OidcSsoConfig = z.output<typeof oidcSsoSchema>;

/** Makes the SSO files absolute (relative to the config file's folder) and checks they can be read. */
export function resolveSsoPaths(sso: SsoConfig | undefined, baseDir: string, problems: string[]): void {
  const check = (path: string, key: string, what: string) => {
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
      problems.push(`${key}: the file ${path} ${why}; give the path of ${what}`);
    }
  };
  if (sso?.saml) {
    sso.saml.idpCerts = sso.saml.idpCerts.map((file, i) => {
      const path = resolve(baseDir, file);
      check(path, `console.sso.saml.idpCerts[${i}]`, "the IdP's signing certificate (PEM), as downloaded from its SAML settings");
      return path;
    });
  }
  if (sso?.oidc?.ca !== undefined) {
    sso.oidc.ca = resolve(baseDir, sso.oidc.ca);
    check(sso.oidc.ca, 'console.sso.oidc.ca', 'a readable PEM file of the CA that signed the issuer certificate');
  }
  if (sso?.oidc?.clientSecretFile !== undefined) {
    sso.oidc.clientSecretFile = resolve(baseDir, sso.oidc.clientSecretFile);
    check(sso.oidc.clientSecretFile, 'console.sso.oidc.clientSecretFile', 'a file holding only the client secret (mode 0600)');
  }
}
