/**
 * Which request header fields a client may pass to the upstream. Some fields are the gateway's to set
 * (identity, client address, the original URL); others are claims a client should not make, because
 * frameworks trust them for routing or for the client address. A client's copy of any of them is dropped.
 * docs/configuration.md ("Headers the upstream never gets from a client") lists them; keep it in step.
 */

/** RFC 9110 §7.6.1 hop-by-hop fields, plus the ones a proxy must never pass on. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
]);

/** Fields the gateway consumes or sets itself (CONTRACT §3). */
const GATEWAY_OWNED = [
  'authorization', 'x-api-key', 'dpop', 'x-request-id', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto',
  'x-forwarded-host', 'x-real-ip', 'traceparent',
];

/**
 * Claims about the client address, the scheme, the host or the URL, which a framework behind a proxy
 * may believe: `X-Original-URL`/`X-Rewrite-URL` route a request in IIS and Symfony, `True-Client-IP`
 * and kin set the address an IP rule sees, `X-HTTP-Method-Override` turns an allowed GET into a DELETE.
 */
const CLIENT_CLAIMS = [
  'true-client-ip', 'x-client-ip', 'client-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'fastly-client-ip',
  'x-originating-ip', 'x-remote-ip', 'x-remote-addr', 'x-forwarded', 'forwarded-for', 'x-proxyuser-ip',
  'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-forwarded-uri', 'x-forwarded-path', 'x-forwarded-prefix',
  'x-host', 'x-forwarded-server', 'x-forwarded-port', 'x-forwarded-scheme', 'x-forwarded-ssl', 'x-scheme',
  'x-url-scheme', 'front-end-https', 'x-http-method-override', 'x-http-method', 'x-method-override',
];

const DROPPED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...GATEWAY_OWNED, ...CLIENT_CLAIMS]);

/**
 * Should a client's request header (lower-case name) be kept from the upstream? Names are compared as
 * CGI and WSGI read them, with `_` as `-`: `X_Forwarded_For` is `X-Forwarded-For` to them. With
 * `allowUnderscores: false` (the default, like nginx's `underscores_in_headers off`) every name with an
 * underscore is dropped.
 */
export function isDroppedRequestHeader(name: string, allowUnderscores: boolean): boolean {
  if (name.includes('_')) {
    if (!allowUnderscores) return true;
    name = name.replaceAll('_', '-');
  }
  return DROPPED.has(name) || name.startsWith('x-portcullis-');
}
