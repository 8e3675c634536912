import { randomBytes, webcrypto } from 'node:crypto';
import type { webcrypto as WebCrypto } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

/**
 * A local SAML 2.0 identity provider for tests: an HTTPS endpoint taking an SP's AuthnRequest by the
 * HTTP-Redirect binding and answering with an auto-posting form, like Okta or Keycloak do. Its
 * assertions are really signed (RSA-SHA256, exclusive C14N, by xml-crypto) with a key and self-signed
 * certificate made at start, so the SP verifies them as it would a real IdP's. `respond()` builds
 * responses directly, with the knobs the attack tests need (no signature, another audience, expired...).
 */

export interface SamlUser {
  nameId: string;
  email?: string;
  groups: string[];
}

export interface ResponseOptions {
  /** The AuthnRequest's ID; absent: IdP-initiated (no InResponseTo). */
  inResponseTo?: string;
  acsUrl: string;
  audience: string;
  user: SamlUser;
  /** What carries the signature: the assertion (default), only the Response around it, or nothing. */
  sign?: 'assertion' | 'response' | false;
  /** The Issuer named in the response and assertion; default the IdP's entity id. */
  issuer?: string;
  assertionId?: string;
  recipient?: string;
  destination?: string | null;
  /** Shifts every timestamp (negative: an assertion from the past). */
  offsetMs?: number;
  lifetimeMs?: number;
}

export interface TestSamlIdp {
  readonly entryPoint: string;
  readonly entityId: string;
  /** The signing certificate, PEM: what the SP is configured with. */
  readonly certPem: string;
  /** Who signs in at the next AuthnRequest. */
  user: SamlUser;
  /** A base64 SAMLResponse. */
  respond(options: ResponseOptions): string;
  /** The raw XML of a response, for tests that rework it (signature wrapping). */
  responseXml(options: ResponseOptions): string;
  close(): Promise<void>;
}

const NS_P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_A = 'urn:oasis:names:tc:SAML:2.0:assertion';
const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const newId = () => `_${randomBytes(16).toString('hex')}`;

/** An RSA key and a self-signed certificate for it (xml-crypto signs with RSA). */
async function signingMaterial(): Promise<{ keyPem: string; certPem: string }> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as WebCrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: 'CN=Portcullis test SAML IdP',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), certPem: cert.toString('pem') };
}

export async function startTestSamlIdp(tls: { cert: string; key: string }, entityId = 'https://idp.test.invalid/saml'): Promise<TestSamlIdp> {
  const { keyPem, certPem } = await signingMaterial();

  const responseXml = (o: ResponseOptions): string => {
    const now = Date.now() + (o.offsetMs ?? 0);
    const issuer = o.issuer ?? entityId;
    const at = (ms: number) => new Date(now + ms).toISOString();
    const until = at(o.lifetimeMs ?? 5 * 60_000);
    const inResponseTo = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acsUrl)}"`;
    const attributes = [
      `<saml:Attribute Name="groups">${o.user.groups.map((g) => `<saml:AttributeValue>${esc(g)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
      o.user.email ? `<saml:Attribute Name="email"><saml:AttributeValue>${esc(o.user.email)}</saml:AttributeValue></saml:Attribute>` : '',
    ].join('');
    const assertion =
      `<saml:Assertion xmlns:saml="${NS_A}" ID="${o.assertionId ?? newId()}" Version="2.0" IssueInstant="${at(0)}">` +
      `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${esc(o.user.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${until}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${at(-30_000)}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` +
      `</saml:Assertion>`;
    const xml =
      `<samlp:Response xmlns:samlp="${NS_P}" xmlns:saml="${NS_A}" ID="${newId()}" Version="2.0" IssueInstant="${at(0)}"${destination}${inResponseTo}>` +
      `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    if (o.sign === false) return xml;
    const signer = new SignedXml({
      privateKey: keyPem,
      publicCert: certPem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    const signed = o.sign === 'response' ? "/*[local-name(.)='Response']" : "//*[local-name(.)='Assertion']";
    signer.addReference({
      xpath: signed,
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    signer.computeSignature(xml, { location: { reference: `${signed}/*[local-name(.)='Issuer']`, action: 'after' } });
    return signer.getSignedXml();
  };

  const idp: TestSamlIdp = {
    entryPoint: '',
    entityId,
    certPem,
    user: { nameId: 'alice', email: 'alice@example.com', groups: [] },
    respond: (o) => Buffer.from(responseXml(o)).toString('base64'),
    responseXml,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  // GET /sso?SAMLRequest=...&RelayState=...: the HTTP-Redirect binding (deflated, base64).
  const server: Server = createServer(tls, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://idp.invalid');
    const request = url.searchParams.get('SAMLRequest');
    if (url.pathname !== '/sso' || !request) {
      res.writeHead(404).end();
      return;
    }
    const xml = inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
    const id = /\sID="([^"]+)"/.exec(xml)?.[1];
    const acsUrl = /\sAssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1];
    const audience = /<(?:\w+:)?Issuer[^>]*>([^<]+)</.exec(xml)?.[1];
    if (!id || !acsUrl || !audience) {
      res.writeHead(400).end('bad AuthnRequest');
      return;
    }
    const samlResponse = idp.respond({ inResponseTo: id, acsUrl, audience, user: idp.user });
    const relayState = url.searchParams.get('RelayState');
    const body =
      `<!doctype html><html><body><form method="post" action="${esc(acsUrl)}">` +
      `<input type="hidden" name="SAMLResponse" value="${samlResponse}">` +
      (relayState !== null ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : '') +
      `<noscript><button type="submit">Continue</button></noscript></form>` +
      `<script>document.forms[0].submit()</script></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (idp as { entryPoint: string }).entryPoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/sso`;
  return idp;
}

/** The hidden fields of an auto-posting form (what a browser would submit). */
export function formFields(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  }
  return { action: action.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))), fields };
}
