import type { Rule } from '../lib/findings.js';

/** The production checklist, one rule per item; each finding names what was seen, the rule says why and how to fix. */
function rule(id: string, severity: Rule['severity'], title: string, explanation: string, fix: string): Rule {
  return { id: `check/${id}`, severity, title, explanation, fix };
}

export const CHECK_RULES = {
  gatewayUnreachable: rule('gateway-unreachable', 'high', 'Gateway not reachable', 'The running gateway could not be reached, so its TLS, headers and state were not checked.', 'Start the gateway, or point `--url` / `--admin-url` at it.'),
  oldTls: rule('tls-old-version', 'high', 'TLS 1.0 or 1.1 accepted', 'TLS 1.0 and 1.1 are deprecated (RFC 8996) and open to downgrade attacks.', 'Accept TLS 1.2 and 1.3 only (the gateway does by default; check any proxy in front of it).'),
  weakCipher: rule('tls-weak-cipher', 'high', 'Weak TLS cipher suite accepted', 'Suites without forward secrecy or without AEAD (CBC, RSA key exchange, 3DES, RC4) let recorded traffic be decrypted later or are breakable.', 'Offer ECDHE with AES-GCM or ChaCha20-Poly1305 only (the gateway does by default; check any proxy in front of it).'),
  untrustedCert: rule('tls-untrusted-certificate', 'critical', 'Certificate not trusted', 'Clients that validate certificates (as they must) refuse the connection, and ones that do not are open to impersonation.', 'Serve a certificate chain, leaf and intermediates, from a CA the clients trust, for the host name they use (or pass `--ca` for a private CA).'),
  certExpiry: rule('tls-certificate-expiry', 'high', 'Certificate expires soon', 'When the certificate expires every client fails its TLS handshake.', 'Renew the certificate (automate it, e.g. ACME) and reload the gateway.'),
  hsts: rule('hsts-missing', 'medium', 'HSTS missing or short', 'Without Strict-Transport-Security (RFC 6797) with a long max-age, a browser can be downgraded to plain HTTP on first contact.', 'Send `Strict-Transport-Security: max-age=63072000; includeSubDomains` (the gateway does; check any proxy in front of it).'),
  adminPublic: rule('admin-listener-public', 'high', 'Admin listener on a public interface', 'The admin API controls every credential; exposed on a public address it is one leaked token from a full takeover.', 'Set `admin.host` to 127.0.0.1 or a private address reachable only from your operations network.'),
  adminTokenMode: rule('admin-token-file-mode', 'high', 'Admin token file readable by others', 'Any local user who can read dataDir/admin.token has owner rights on the admin API.', 'chmod 600 the token file (and 700 its directory).'),
  masterKeyBesideData: rule('master-key-beside-data', 'high', 'Master key stored beside the data it protects', 'With PostgreSQL the encrypted secrets live in the database; a master key file on the same disk or in the same backups makes the encryption moot.', 'Provide the master key through PORTCULLIS_MASTER_KEY from a secret manager (or a KMS), delete the key file from dataDir, and keep it out of database backups.'),
  noRateLimit: rule('route-without-rate-limit', 'medium', 'Non-public route without a rate limit', 'Without a rate limit one client (or a stolen key) can exhaust the upstream and guess at credentials without bound.', 'Add `rateLimit: { requests: N, per: 1m }` to the service.'),
  keyRotationDue: rule('key-rotation-due', 'medium', 'Key past its rotation age', 'Long-lived keys accumulate exposure: logs, laptops, former staff.', 'Rotate it: `portcullis keys rotate ID` (the old key keeps working through the grace period).'),
  keyMaxAgeLong: rule('key-max-age-long', 'medium', 'Keys may live longer than 90 days', 'keys.maxAge bounds the life of every key; beyond 90 days a leaked key stays useful for long.', 'Set `keys: { maxAge: 90d, warnAge: 30d }` or shorter.'),
  auditBroken: rule('audit-chain-broken', 'critical', 'Audit log altered', 'The audit log no longer verifies: records were edited, deleted or the table rewritten.', 'Investigate now: compare with backups, rotate admin tokens and credentials, and find who had database write access (`portcullis audit verify`).'),
  storeUnreachable: rule('store-unreachable', 'high', 'PostgreSQL or Redis not reachable', 'The gateway fails closed (503) when it cannot check credentials; an unreachable store is an outage.', 'Check the address, credentials, network policy and the server itself.'),
} as const;
