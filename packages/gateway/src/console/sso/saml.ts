import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as NodeSaml from '@node-saml/node-saml';
import type { CacheProvider, Profile, SAML, SamlConfig } from '@node-saml/node-saml';
import type { SamlSsoConfig } from '../../config/sso-schema.js';
import type { Database } from '../../store/sql.js';
import { bindBrowser, browserBinding, readForm, redirect } from './browser.js';
import { groupList, roleForGroups } from './group-roles.js';
import type { SsoIdentity } from './identity.js';
import { CONSOLE_HOME, safeReturnTo } from '../return-to.js';
import { claimOnce, peekPending, savePending, takePending } from './sso-repository.js';
import { SsoRefusal } from './refusal.js';

/** How long a started sign-in waits for the IdP's answer. */
const PENDING_MS = 10 * 60_000;
/** An assertion id is remembered at least this long, and until its own expiry (plus skew). */
const MIN_REPLAY_MEMORY_MS = 60 * 60_000;

/** Loaded by the first SAML request, not at start-up: most gateways never use SAML (start-up time). */
let nodeSaml: Promise<typeof NodeSaml> | undefined;

interface PendingSaml {
  readonly binding: string;
  /** When the AuthnRequest was made (node-saml checks its age). */
  readonly instant: string;
}

export interface SamlSso {
  /** GET: redirects the browser to the IdP with a fresh AuthnRequest. */
  login(res: ServerResponse, requestId: string, returnTo: string): Promise<void>;
  /** POST: the IdP's response; resolves with the verified identity and the safe path to land on. */
  acs(req: IncomingMessage): Promise<{ identity: SsoIdentity; returnTo: string }>;
  /** Our SP metadata, for the IdP's administrator. */
  metadata(): Promise<string>;
}

export function createSamlSso(config: SamlSsoConfig, db: Database, now: () => number = Date.now): SamlSso {
  const idpCert = config.idpCerts.map((file) => readFileSync(file, 'utf8'));
  const base: SamlConfig = {
    entryPoint: config.entryPoint,
    idpCert,
    issuer: config.entityId,
    audience: config.entityId,
    callbackUrl: config.acsUrl,
    // Only assertions the IdP signed count, whether or not the Response around them is signed.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: config.clockSkew,
    requestIdExpirationPeriodMs: PENDING_MS,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    ...(config.idpIssuer !== undefined ? { idpIssuer: config.idpIssuer } : {}),
  };

  /** node-saml's request cache, kept in the store so the ACS may land on another instance. */
  const cache = (binding: string | undefined): CacheProvider => ({
    async saveAsync(key, value) {
      if (binding === undefined) throw new Error('AuthnRequests are only made by login()');
      await savePending(db, 'saml-request', key, { binding, instant: value } satisfies PendingSaml, new Date(now() + PENDING_MS));
      return { value, createdAt: now() };
    },
    async getAsync(key) {
      return (await peekPending<PendingSaml>(db, 'saml-request', key, new Date(now())))?.instant ?? null;
    },
    // The ACS takes the request itself once the response is verified; a failed attempt leaves it to expire.
    async removeAsync() {
      return null;
    },
  });
  const newSaml = async (cacheProvider: CacheProvider): Promise<SAML> => {
    nodeSaml ??= import('@node-saml/node-saml');
    const lib = await nodeSaml;
    return new lib.SAML({ ...base, validateInResponseTo: lib.ValidateInResponseTo.always, cacheProvider });
  };
  let verifier: Promise<SAML> | undefined;
  const verifying = (): Promise<SAML> => (verifier ??= newSaml(cache(undefined)));

  return {
    async login(res, requestId, returnTo) {
      const binding = bindBrowser(res);
      const saml = await newSaml(cache(binding));
      // RelayState carries only the path to land on, checked again when it comes back.
      const url = await saml.getAuthorizeUrlAsync(returnTo, undefined, {});
      redirect(res, requestId, url);
    },

    async acs(req) {
      const form = await readForm(req);
      const samlResponse = form?.get('SAMLResponse');
      if (!samlResponse) throw new SsoRefusal('malformed', 'no SAMLResponse form field');
      const verifier = await verifying();
      let profile: Profile | null;
      try {
        ({ profile } = await verifier.validatePostResponseAsync({ SAMLResponse: samlResponse }));
      } catch (error) {
        const message = (error as Error).message;
        // node-saml checks InResponseTo first: an answer to no pending request was used already, or expired.
        throw new SsoRefusal(/InResponseTo is (not valid|missing)/.test(message) ? 'replayed' : 'invalid_assertion', message);
      }
      if (!profile) throw new SsoRefusal('invalid_assertion', 'no assertion in the response');
      if (!profile.nameID) throw new SsoRefusal('invalid_assertion', 'the assertion names no subject (NameID)');
      const checked = checkAssertion(profile, config, now());

      // The AuthnRequest is used once, and only by the browser that made it.
      const inResponseTo = typeof profile.inResponseTo === 'string' ? profile.inResponseTo : undefined;
      const pending = inResponseTo ? await takePending<PendingSaml>(db, 'saml-request', inResponseTo, new Date(now())) : undefined;
      if (!pending) throw new SsoRefusal('replayed', `no pending sign-in for InResponseTo ${inResponseTo ?? '(none)'}`);
      if (pending.binding !== browserBinding(req)) throw new SsoRefusal('wrong_browser', 'the response arrived in a browser that did not start this sign-in');
      const fresh = await claimOnce(db, 'saml-assertion', checked.assertionId, new Date(Math.max(checked.expiresAt + config.clockSkew, now() + MIN_REPLAY_MEMORY_MS)), new Date(now()));
      if (!fresh) throw new SsoRefusal('replayed', `assertion ${checked.assertionId} was already used`);

      const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
      const groups = groupList(attributes[config.groupAttribute]);
      const role = roleForGroups(groups, config.groupRoles);
      if (!role) throw new SsoRefusal('no_role', `none of the groups [${groups.join(', ')}] maps to a role`);
      const email = attributes[config.emailAttribute];
      const identity: SsoIdentity = { provider: 'saml', subject: profile.nameID, ...(typeof email === 'string' ? { email } : {}), groups, role };
      return { identity, returnTo: safeReturnTo(form?.get('RelayState')) ?? CONSOLE_HOME };
    },

    async metadata() {
      return (await verifying()).generateServiceProviderMetadata(null);
    },
  };
}

type Xml2Js = { $?: Record<string, string>; _?: string; [child: string]: unknown };
const children = (node: Xml2Js | undefined, name: string): Xml2Js[] => (Array.isArray(node?.[name]) ? (node[name] as Xml2Js[]) : []);

/**
 * What node-saml leaves to us, read from the signed assertion only: its id (for the replay cache), the
 * issuer, a bearer SubjectConfirmation whose Recipient is our ACS URL, and (from the Response around
 * it) a Destination that, when present, is our ACS URL too.
 */
function checkAssertion(profile: Profile, config: SamlSsoConfig, nowMs: number): { assertionId: string; expiresAt: number } {
  const assertion = (profile.getAssertion?.() as { Assertion?: Xml2Js } | undefined)?.Assertion;
  const assertionId = assertion?.$?.ID;
  if (!assertion || !assertionId) throw new SsoRefusal('invalid_assertion', 'the signed assertion has no ID');
  if (config.idpIssuer !== undefined && profile.issuer !== config.idpIssuer) {
    throw new SsoRefusal('invalid_assertion', `issuer ${String(profile.issuer)} is not ${config.idpIssuer}`);
  }
  const confirmations = children(children(assertion, 'Subject')[0], 'SubjectConfirmation')
    .filter((c) => c.$?.Method === 'urn:oasis:names:tc:SAML:2.0:cm:bearer')
    .flatMap((c) => children(c, 'SubjectConfirmationData'));
  const mine = confirmations.filter((data) => data.$?.Recipient === config.acsUrl);
  if (mine.length === 0) throw new SsoRefusal('wrong_recipient', `no subject confirmation (method bearer) names Recipient ${config.acsUrl}`);
  const destination = /<(?:\w+:)?Response\b[^>]*?\sDestination="([^"]*)"/.exec(profile.getSamlResponseXml?.() ?? '')?.[1];
  if (destination !== undefined && destination !== config.acsUrl) throw new SsoRefusal('wrong_recipient', `Destination ${destination} is not ${config.acsUrl}`);
  const until = mine.map((data) => Date.parse(data.$?.NotOnOrAfter ?? '')).filter(Number.isFinite);
  return { assertionId, expiresAt: until.length > 0 ? Math.max(...until) : nowMs };
}
