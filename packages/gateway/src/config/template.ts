/** The commented starting point written by `portcullis init`. Keep in step with docs/configuration.md. */
export const CONFIG_TEMPLATE = `# Portcullis configuration. Reference: docs/configuration.md
# Secrets never go in this file: the master key comes from PORTCULLIS_MASTER_KEY (or a key file in
# dataDir), database passwords from PGPASSWORD or PORTCULLIS_DATABASE_URL.

listen: { host: 127.0.0.1, port: 8443 }   # the data plane; always HTTPS (TLS 1.2+, 1.3 preferred)
admin: { host: 127.0.0.1, port: 8444 }    # admin API and /metrics; HTTPS too

# "auto" makes a local development CA and certificate in dataDir/tls (trust dataDir/tls/ca.pem).
# In production give your own certificate:  tls: { cert: ./cert.pem, key: ./key.pem }
tls: auto

dataDir: ./.portcullis                    # embedded database, master key file, admin token, dev CA

# database: { url: postgres://portcullis@db.internal:5432/portcullis }   # absent: embedded store
# redis: { url: redis://127.0.0.1:6379 }    # accepted but not used yet in 0.1 (see docs/configuration.md)

trustedProxies: []                        # CIDRs whose X-Forwarded-For is believed

limits: { maxHeaderBytes: 16384, maxBodyBytes: 1048576, headersTimeout: 10s, bodyTimeout: 30s }
keys: { maxAge: 90d, warnAge: 30d }       # API keys past warnAge are flagged, past maxAge refused
log: { level: info, access: true }

services:
  - name: companies
    upstream: http://127.0.0.1:9000      # an https upstream's certificate is always validated
    timeout: 30s
    routes:
      - { match: "GET /companies", scopes: [companies:read] }
      - { match: "GET /companies/*", scopes: [companies:read] }
      - { match: "POST /companies", scopes: [companies:write] }
`;
