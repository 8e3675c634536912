import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureDevCertificates } from '../../../src/server/dev-ca.js';
import { browserSkipMessage, haveChromium, launchBrowser, spkiHash } from '../../helpers/browser.js';
import { startTestGateway } from '../../helpers/gateway.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { startTestOidcProvider } from '../../helpers/oidc-idp.js';
import type { TestOidcProvider } from '../../helpers/oidc-idp.js';
import { startTestSamlIdp } from '../../helpers/saml-idp.js';
import type { TestSamlIdp } from '../../helpers/saml-idp.js';
import { freePort } from './sso-harness.js';

browserSkipMessage('console SSO browser tests');

/**
 * Single sign-on through the real gateway in Debian's Chromium: the sign-in page offers the providers
 * the gateway names, the browser goes through a local SAML IdP (signed assertions) or a local
 * oidc-provider, and lands in the console with the role its IdP group maps to.
 */

const CLIENT_ID = 'portcullis-console';
const SECRET = `oidc-secret-${randomBytes(16).toString('hex')}`;
const groupRoles = { 'pc-admins': 'admin', 'pc-audit': 'auditor' } as const;

describe.skipIf(!haveChromium)('console single sign-on in a browser (Debian Chromium)', () => {
  let dir: string;
  let gw: TestGateway;
  let saml: TestSamlIdp;
  let oidc: TestOidcProvider;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-sso-browser-'));
    const idpTls = await ensureDevCertificates({ dir: join(dir, 'idp-tls') });
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    // The admin port is chosen up front: the ACS and redirect URLs are written into the configuration.
    const adminPort = await freePort();
    const admin = `https://127.0.0.1:${adminPort}`;
    saml = await startTestSamlIdp({ cert: idpTls.cert, key: idpTls.key });
    oidc = await startTestOidcProvider({ cert: idpTls.cert, key: idpTls.key }, { clientId: CLIENT_ID, clientSecret: SECRET, redirectUri: `${admin}/console/sso/oidc/callback` });
    gw = await startTestGateway(
      {
        admin: { host: '127.0.0.1', port: adminPort },
        console: {
          sso: {
            saml: {
              entryPoint: saml.entryPoint,
              idpIssuer: saml.entityId,
              idpCerts: [file('idp.pem', saml.certPem)],
              entityId: `${admin}/console/sso/saml/metadata`,
              acsUrl: `${admin}/console/sso/saml/acs`,
              groupRoles,
            },
            oidc: {
              issuer: oidc.issuer,
              clientId: CLIENT_ID,
              clientSecretEnv: 'PC_TEST_OIDC_SECRET',
              redirectUri: `${admin}/console/sso/oidc/callback`,
              scopes: ['openid', 'email', 'profile', 'groups'],
              groupRoles,
              ca: file('idp-ca.pem', idpTls.ca),
            },
          },
        },
      },
      { PC_TEST_OIDC_SECRET: SECRET },
    );
    // The browser trusts exactly the gateway's certificate and the IdPs' (one key, shared by both IdPs).
    browser = await launchBrowser(`${await spkiHash(gw.gateway.adminUrl)},${await spkiHash(oidc.issuer)}`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await saml?.close();
    await oidc?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    return context.newPage();
  }

  const sessionRole = (page: Page) => page.evaluate(async () => ((await (await fetch('/console/api/session')).json()) as { role: string; stage: string }));

  it('signs in by SAML with the group mapped to auditor: the console then offers no write controls', async () => {
    saml.user = { nameId: 'alice', email: 'alice@example.com', groups: ['staff', 'pc-audit'] };
    const page = await freshPage();
    await page.goto(`${gw.gateway.adminUrl}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'SAML single sign-on' }).click();
    // Through the IdP (its form posts the signed assertion back to the ACS) and into the console.
    await page.getByRole('heading', { name: 'Traffic' }).waitFor();
    expect(new URL(page.url()).origin).toBe(gw.gateway.adminUrl);
    expect(await sessionRole(page)).toMatchObject({ role: 'auditor', stage: 'active' });
    await page.getByRole('link', { name: 'Consumers' }).click();
    await page.getByRole('heading', { name: 'Consumers' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('button', { name: /Create|Disable|Enable/ }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    // The session cookie is the console's: HttpOnly, so no script reads it.
    expect(await page.evaluate('document.cookie')).not.toContain('session');
    await page.context().close();
  });

  it('signs in by OIDC with the group mapped to admin: the console offers an admin its write controls', async () => {
    oidc.user = { sub: 'carol', email: 'carol@example.com', groups: ['pc-admins'] };
    const page = await freshPage();
    await page.goto(`${gw.gateway.adminUrl}/console/`);
    await page.getByRole('link', { name: 'OpenID Connect' }).click();
    await page.getByRole('heading', { name: 'Traffic' }).waitFor();
    expect(await sessionRole(page)).toMatchObject({ role: 'admin', stage: 'active' });
    await page.getByRole('link', { name: 'Consumers' }).click();
    await page.getByRole('button', { name: /Create/ }).first().waitFor();
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(1);
    await page.context().close();
  });
});
