import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCertificates } from '../../../src/server/dev-ca.js';
import { ConsoleClient, OWNER_PASSWORD, totpAt } from '../../helpers/console.js';
import { FakeClock, startTestGateway } from '../../helpers/gateway.js';
import type { TestGateway } from '../../helpers/gateway.js';

/**
 * `console.sso.only` through the real gateway: the console's password sign-in is refused, exactly as a
 * wrong password is, for everyone but the break-glass owner named in the configuration.
 */

const STEP = 30_000;
const OTHER_PASSWORD = 'sso only means sso only 42';

describe('console.sso.only (HTTP, through the gateway)', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let dir: string;
  let gw: TestGateway;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-sso-only-'));
    // Any certificate will do as the IdP's: no SAML answer is ever sent in this file.
    const idpCert = join(dir, 'idp.pem');
    writeFileSync(idpCert, (await ensureDevCertificates({ dir: join(dir, 'idp') })).cert);
    gw = await startTestGateway(
      {
        console: {
          sso: {
            only: true,
            breakGlassOwners: ['owner'],
            saml: {
              entryPoint: 'https://idp.example.com/sso',
              idpIssuer: 'https://idp.example.com/saml',
              idpCerts: [idpCert],
              entityId: 'https://portcullis.example.com/console',
              acsUrl: 'https://portcullis.example.com/console/sso/saml/acs',
              groupRoles: { 'pc-admins': 'admin' },
            },
          },
        },
      },
      {},
      { clock: clock.read },
    );
    const owner = new ConsoleClient(gw);
    secrets.owner = (await owner.enrol(gw.gateway.console.setupUrl as string, clock.now)).secret;
    // The owner (break-glass) adds an admin and a second owner, who enrol through their setup links.
    for (const [username, role] of [['ops', 'admin'], ['owner2', 'owner']] as const) {
      const created = await owner.send('POST', '/admin/v1/users', { username, role });
      expect(created.status, created.text).toBe(201);
      const { setupPath } = created.json() as { setupPath: string };
      clock.advance(STEP);
      secrets[username] = (await new ConsoleClient(gw).enrol(`${gw.gateway.adminUrl}${setupPath}`, clock.now, OTHER_PASSWORD)).secret;
    }
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(username: string, password: string) {
    clock.advance(STEP);
    return new ConsoleClient(gw).signIn(username, password, totpAt(secrets[username] as string, clock.now));
  }

  it('offers SSO only on the sign-in page', async () => {
    const providers = await gw.admin('/console/sso/providers');
    expect(providers.status).toBe(200);
    expect(providers.json()).toEqual({ saml: true, oidc: false, only: true });
  });

  it('lets the break-glass owner sign in with password and MFA', async () => {
    const reply = await signIn('owner', OWNER_PASSWORD);
    expect(reply.status, reply.text).toBe(200);
  });

  it('refuses the right password of anyone else, as it refuses a wrong one', async () => {
    const wrong = await signIn('owner', 'not the password at all 1');
    expect(wrong.status).toBe(401);
    for (const username of ['ops', 'owner2']) {
      const refused = await signIn(username, OTHER_PASSWORD);
      expect(refused.status, username).toBe(401);
      // The same answer as a wrong password: nobody learns which names are break-glass accounts.
      expect((refused.json() as { code?: string }).code).toBe((wrong.json() as { code?: string }).code);
    }
  });
});
