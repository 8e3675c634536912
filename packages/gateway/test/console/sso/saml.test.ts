import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipMessage } from '../../helpers/postgres.js';
import { formFields, startTestSamlIdp } from '../../helpers/saml-idp.js';
import type { ResponseOptions, TestSamlIdp } from '../../helpers/saml-idp.js';
import { createSsoHarness } from './sso-harness.js';
import type { SsoHarness, SsoInstance, TestBrowser } from './sso-harness.js';

/**
 * SAML sign-in to the console against a local IdP that signs real assertions, over HTTPS, with the
 * attacks the issue names: replay (here and at another instance), no signature, signature wrapping,
 * another audience or recipient, an expired assertion, and an open redirect through RelayState.
 */

skipMessage('the cross-instance SAML replay runs on one embedded store shared by two servers');

const ENTITY_ID = 'https://portcullis.test/sp';
const groupRoles = { 'pc-owners': 'owner', 'pc-admins': 'admin', 'pc-devs': 'developer', 'pc-audit': 'auditor' } as const;

let h: SsoHarness & { ports: number[] };
let idp: TestSamlIdp;
let a: SsoInstance;
let b: SsoInstance;
let acsUrl: string;
const browser = () => h.browser();

beforeAll(async () => {
  const harness = (h = await createSsoHarness());
  idp = await startTestSamlIdp({ cert: h.certs.cert, key: h.certs.key });
  acsUrl = `https://127.0.0.1:${harness.ports[0]}/console/sso/saml/acs`;
  [a, b] = (await h.start(
    { saml: { entryPoint: idp.entryPoint, idpIssuer: idp.entityId, idpCerts: [h.file('idp.pem', idp.certPem)], entityId: ENTITY_ID, acsUrl, groupRoles } },
    {},
    2,
  )) as [SsoInstance, SsoInstance];
}, 30_000);

afterAll(async () => {
  if (process.env.SSO_DEBUG) console.log([...a.logLines, ...b.logLines].join('\n'));
  await idp?.close();
  await h?.close();
});

/** Starts a sign-in at `instance`; returns the AuthnRequest id and the RelayState sent to the IdP. */
async function startLogin(user: TestBrowser, returnTo = '/console/keys', instance = a): Promise<{ requestId: string; idpUrl: string; relayState: string | null }> {
  const reply = await user.request(`${instance.origin}/console/sso/saml/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(reply.status, reply.text).toBe(303);
  const idpUrl = reply.location as string;
  expect(idpUrl.startsWith(idp.entryPoint)).toBe(true);
  const params = new URL(idpUrl).searchParams;
  const request = inflateRawSync(Buffer.from(params.get('SAMLRequest') as string, 'base64')).toString('utf8');
  return { requestId: /\sID="([^"]+)"/.exec(request)?.[1] as string, idpUrl, relayState: params.get('RelayState') };
}

function postResponse(user: TestBrowser, samlResponse: string, relayState: string | null = '/console/keys', instance = a) {
  return user.request(`${instance.origin}/console/sso/saml/acs`, { form: { SAMLResponse: samlResponse, ...(relayState !== null ? { RelayState: relayState } : {}) } });
}

const response = (requestId: string, extra: Partial<ResponseOptions> = {}): ResponseOptions => ({
  inResponseTo: requestId,
  acsUrl,
  audience: ENTITY_ID,
  user: { nameId: 'alice', email: 'alice@example.com', groups: ['pc-devs'] },
  ...extra,
});

const reasons = (instance: SsoInstance) => instance.logLines.map((line) => JSON.parse(line) as { reason?: string }).flatMap((l) => (l.reason ? [l.reason] : []));
const signedInCount = () => a.signedIn.length + b.signedIn.length;

describe('SAML sign-in', () => {
  it('signs in through the IdP with its groups mapped to the highest role, and lands on returnTo', async () => {
    const user = browser();
    idp.user = { nameId: 'alice', email: 'alice@example.com', groups: ['pc-devs', 'pc-admins', 'unmapped'] };
    const { idpUrl } = await startLogin(user, '/console/keys?page=2');
    expect(user.cookies.has('__Host-portcullis-sso')).toBe(true);
    const page = await user.request(idpUrl);
    expect(page.status).toBe(200);
    const { action, fields } = formFields(page.text);
    expect(action).toBe(acsUrl);

    const done = await user.request(action, { form: fields });
    expect(done.status, done.text).toBe(303);
    expect(new URL(done.location as string).pathname + new URL(done.location as string).search).toBe('/console/keys?page=2');
    expect(a.signedIn.at(-1)?.identity).toEqual({ provider: 'saml', subject: 'alice', email: 'alice@example.com', groups: ['pc-devs', 'pc-admins', 'unmapped'], role: 'admin' });
    expect(a.signedIn.at(-1)?.heldCookie).toContain('__Host-portcullis-sso='); // the console ends what the browser held
    expect(user.cookies.has('__Host-portcullis-session')).toBe(true);
    expect(user.cookies.has('__Host-portcullis-sso')).toBe(false);

    // The same POST again, here and at the other instance: the assertion was used.
    const before = signedInCount();
    const again = await user.request(action, { form: fields });
    expect(again.status).toBe(403);
    expect(again.text).toContain('already used');
    const elsewhere = await user.request(`${b.origin}/console/sso/saml/acs`, { form: fields });
    expect(elsewhere.status).toBe(403);
    expect(signedInCount()).toBe(before);
  });

  it('refuses an assertion id seen before, even in answer to a new request and at another instance', async () => {
    const user = browser();
    const first = await startLogin(user);
    const ok = await postResponse(user, idp.respond(response(first.requestId, { assertionId: '_reused-assertion-id' })));
    expect(ok.status, ok.text).toBe(303);

    const before = signedInCount();
    const second = await startLogin(user, '/console/keys', b);
    const replay = await postResponse(user, idp.respond(response(second.requestId, { assertionId: '_reused-assertion-id' })), '/console/keys', b);
    expect(replay.status).toBe(403);
    expect(reasons(b)).toContain('replayed');
    expect(signedInCount()).toBe(before);
  });

  it('refuses a response that no sign-in here asked for, or that arrives in another browser', async () => {
    const before = signedInCount();
    const unsolicited = await postResponse(browser(), idp.respond(response('_never-requested')));
    expect(unsolicited.status).toBe(403);
    const idpInitiated = await postResponse(browser(), idp.respond(response('', { inResponseTo: undefined })));
    expect(idpInitiated.status).toBe(403);

    const victim = browser();
    const { requestId } = await startLogin(victim);
    const attacker = browser();
    const pushed = await postResponse(attacker, idp.respond(response(requestId)));
    expect(pushed.status).toBe(403);
    expect(reasons(a)).toContain('wrong_browser');
    expect(signedInCount()).toBe(before);
  });

  it('refuses an unsigned assertion', async () => {
    const user = browser();
    const { requestId } = await startLogin(user);
    const reply = await postResponse(user, idp.respond(response(requestId, { sign: false })));
    expect(reply.status).toBe(403);
    expect(reasons(a).at(-1)).toBe('invalid_assertion');
    expect(a.signedIn.some((s) => s.identity.subject === 'alice' && s.identity.role === 'owner')).toBe(false);
  });

  it('refuses an assertion that is not itself signed, even inside a signed Response', async () => {
    const user = browser();
    const { requestId } = await startLogin(user);
    const reply = await postResponse(user, idp.respond(response(requestId, { sign: 'response' })));
    expect(reply.status).toBe(403);
    expect(reasons(a).at(-1)).toBe('invalid_assertion');
  });

  it('refuses a signed assertion whose content was changed after signing', async () => {
    const user = browser();
    const { requestId } = await startLogin(user);
    const xml = idp.responseXml(response(requestId, { user: { nameId: 'mallory', groups: ['pc-devs'] } }));
    const tampered = xml.replace('<saml:AttributeValue>pc-devs</saml:AttributeValue>', '<saml:AttributeValue>pc-owners</saml:AttributeValue>');
    expect(tampered).not.toBe(xml);
    const reply = await postResponse(user, Buffer.from(tampered).toString('base64'));
    expect(reply.status).toBe(403);
    expect(a.signedIn.some((s) => s.identity.subject === 'mallory')).toBe(false);
  });

  describe('XML signature wrapping', () => {
    /** The signed assertion of a genuine response for `mallory` (a developer), and an owner forgery of it. */
    async function material() {
      const user = browser();
      const { requestId } = await startLogin(user);
      const xml = idp.responseXml(response(requestId, { user: { nameId: 'mallory', groups: ['pc-devs'] } }));
      const signed = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(xml)?.[0] as string;
      const forged = signed
        .replace(/<ds:Signature[\s\S]*<\/ds:Signature>|<Signature[\s\S]*<\/Signature>/, '')
        .replace('>mallory<', '>eve<')
        .replace('<saml:AttributeValue>pc-devs</saml:AttributeValue>', '<saml:AttributeValue>pc-owners</saml:AttributeValue>');
      expect(forged).not.toContain('SignatureValue');
      return { user, xml, signed, forged };
    }

    it('refuses a second, unsigned assertion inserted before the signed one', async () => {
      const { user, xml, signed, forged } = await material();
      const wrapped = xml.replace(signed, forged.replace(/ID="[^"]+"/, 'ID="_forged"') + signed);
      const reply = await postResponse(user, Buffer.from(wrapped).toString('base64'));
      expect(reply.status).toBe(403);
      expect(a.signedIn.some((s) => ['eve', 'mallory'].includes(s.identity.subject))).toBe(false);
    });

    it('refuses the signed assertion moved under Extensions with a forgery (same ID) in its place', async () => {
      const { user, xml, signed, forged } = await material();
      const wrapped = xml.replace(signed, forged).replace('<samlp:Status>', `<samlp:Extensions>${signed}</samlp:Extensions><samlp:Status>`);
      const reply = await postResponse(user, Buffer.from(wrapped).toString('base64'));
      expect(reply.status).toBe(403);
      expect(a.signedIn.some((s) => ['eve', 'mallory'].includes(s.identity.subject))).toBe(false);
    });
  });

  it('refuses an assertion for another audience, recipient or destination, or from another issuer', async () => {
    const before = signedInCount();
    for (const extra of [
      { audience: 'https://other-sp.example/' },
      { recipient: 'https://other-sp.example/acs' },
      { destination: 'https://other-sp.example/acs' },
      { issuer: 'https://other-idp.example/' },
    ]) {
      const user = browser();
      const { requestId } = await startLogin(user);
      const reply = await postResponse(user, idp.respond(response(requestId, extra)));
      expect(reply.status, JSON.stringify(extra)).toBe(403);
    }
    expect(reasons(a).slice(-4)).toEqual(['invalid_assertion', 'wrong_recipient', 'wrong_recipient', 'invalid_assertion']);
    expect(signedInCount()).toBe(before);
  });

  it('refuses an expired assertion (past its NotOnOrAfter by more than the clock skew)', async () => {
    const user = browser();
    const { requestId } = await startLogin(user);
    const reply = await postResponse(user, idp.respond(response(requestId, { offsetMs: -7 * 60_000, lifetimeMs: 5 * 60_000 })));
    expect(reply.status).toBe(403);
    expect(reasons(a).at(-1)).toBe('invalid_assertion');

    // Within the one-minute skew it still counts: the refusal above is the expiry, not the shift.
    const late = browser();
    const again = await startLogin(late);
    const ok = await postResponse(late, idp.respond(response(again.requestId, { offsetMs: -5 * 60_000 - 20_000, lifetimeMs: 5 * 60_000 })));
    expect(ok.status, ok.text).toBe(303);
  });

  it('refuses a person none of whose groups maps to a role, with a page that says so', async () => {
    const user = browser();
    const { requestId } = await startLogin(user);
    const before = signedInCount();
    const reply = await postResponse(user, idp.respond(response(requestId, { user: { nameId: 'bob', groups: ['marketing'] } })));
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('No access to Portcullis');
    expect(reply.text).toContain('none of your groups');
    expect(signedInCount()).toBe(before);
  });

  describe('no open redirect', () => {
    it.each(['https://evil.example/', '//evil.example/console/', '/\\evil.example/', '/console/../../evil', 'javascript:alert(1)', '/admin/v1/keys'])(
      'refuses returnTo %s before going to the IdP',
      async (returnTo) => {
        const user = browser();
        const reply = await user.request(`${a.origin}/console/sso/saml/login?returnTo=${encodeURIComponent(returnTo)}`);
        expect(reply.status).toBe(400);
        expect(reply.location).toBeNull();
      },
    );

    it('lands on the console, not on a RelayState rewritten on its way back', async () => {
      const user = browser();
      const { requestId, relayState } = await startLogin(user, '/console/alerts');
      expect(relayState).toBe('/console/alerts');
      const reply = await postResponse(user, idp.respond(response(requestId)), 'https://evil.example/phish');
      expect(reply.status).toBe(303);
      expect(new URL(reply.location as string).origin).toBe(a.origin);
      expect(new URL(reply.location as string).pathname).toBe('/console/');
    });
  });

  it('tells the sign-in page which providers there are', async () => {
    const reply = await browser().request(`${a.origin}/console/sso/providers`);
    expect(JSON.parse(reply.text)).toEqual({ saml: true, oidc: false, only: false });
    expect((await browser().request(`${a.origin}/console/sso/oidc/login`)).status).toBe(404);
  });

  it('publishes SP metadata naming the entity id and ACS URL', async () => {
    const reply = await browser().request(`${a.origin}/console/sso/saml/metadata`);
    expect(reply.status).toBe(200);
    expect(reply.text).toContain(`entityID="${ENTITY_ID}"`);
    expect(reply.text).toContain(`Location="${acsUrl}"`);
  });
});
