/** One example per configuration key, quoted in error messages so the fix is one copy away. */
const EXAMPLES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^listen(\.|$)/, 'listen: { host: 127.0.0.1, port: 8443 }'],
  [/^admin(\.|$)/, 'admin: { host: 127.0.0.1, port: 8444 }'],
  [/^tls(\.|$)/, 'tls: { cert: ./cert.pem, key: ./key.pem }   # or: tls: auto'],
  [/^dataDir$/, 'dataDir: ./.portcullis'],
  [/^database(\.|$)/, 'database: { url: postgres://portcullis@db.internal:5432/portcullis }'],
  [/^redis(\.|$)/, 'redis: { url: redis://127.0.0.1:6379 }'],
  [/^trustedProxies/, 'trustedProxies: [10.0.0.0/8, "2001:db8::/32"]'],
  [/^limits(\.|$)/, 'limits: { maxHeaderBytes: 16384, maxBodyBytes: 1048576, headersTimeout: 10s, bodyTimeout: 30s }'],
  [/^keys(\.|$)/, 'keys: { maxAge: 90d, warnAge: 30d }'],
  [/^log(\.|$)/, 'log: { level: info, access: true }'],
  [/^drainTimeout$/, 'drainTimeout: 10s'],
  [/^oauth(\.|$)/, 'oauth: { issuer: https://api.example.com, accessTokenLifetime: 1h, signingAlgorithm: ES256 }'],
  [/^accessRecords(\.|$)/, 'accessRecords: { enabled: true, retention: 30d }'],
  [/^alerts\.webhooks/, 'alerts:\n  webhooks:\n    - { url: https://hooks.example.com/portcullis, keyId: ops, secretEnv: PORTCULLIS_WEBHOOK_SECRET }'],
  [/^alerts(\.|$)/, 'alerts: { failureSpike: { failures: 20, window: 1m } }'],
  [/^telemetry(\.|$)/, 'telemetry: { otlp: { endpoint: https://otel-collector:4318 } }'],
  [
    /^console\.sso\.saml/,
    'console:\n  sso:\n    saml:\n      entryPoint: https://idp.example.com/sso/saml\n      idpCerts: [./idp-signing.pem]\n      entityId: https://admin.example.com/portcullis\n      acsUrl: https://admin.example.com:8444/console/sso/saml/acs\n      groupRoles: { portcullis-admins: admin, portcullis-auditors: auditor }',
  ],
  [
    /^console\.sso\.oidc/,
    'console:\n  sso:\n    oidc:\n      issuer: https://login.example.com/realms/ops\n      clientId: portcullis\n      clientSecretEnv: PORTCULLIS_OIDC_CLIENT_SECRET\n      redirectUri: https://admin.example.com:8444/console/sso/oidc/callback\n      groupRoles: { portcullis-admins: admin }',
  ],
  [/^console(\.|$)/, 'console:\n  sso:\n    only: true\n    breakGlassOwners: [owner]'],
  [/^services\[\d+\]\.routes\[\d+\]/, 'routes:\n  - { match: "GET /companies/*", scopes: [companies:read] }'],
  [/^services\[\d+\]\.rateLimit/, 'rateLimit: { requests: 100, per: 1m }'],
  [/^services\[\d+\]\.name$/, 'name: companies'],
  [/^services\[\d+\]\.upstream$/, 'upstream: http://127.0.0.1:9000'],
  [/^services\[\d+\]\.timeout$/, 'timeout: 30s'],
  [/^services\[\d+\]\.connections$/, 'connections: 64'],
  [/^services\[\d+\]\.ca$/, 'ca: ./upstream-ca.pem'],
  [
    /^services/,
    'services:\n  - name: companies\n    upstream: http://127.0.0.1:9000\n    routes:\n      - { match: "GET /companies/*", scopes: [companies:read] }',
  ],
];

export function exampleFor(path: string): string | undefined {
  return EXAMPLES.find(([pattern]) => pattern.test(path))?.[1];
}
