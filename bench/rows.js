// What the bench measures: one entry per table row, as data. A row names the target module
// (bench/targets/<target>.js, started in its own child process), an optional upstream target started
// in another child first (its URL reaches the target as `upstreamUrl`), and options for the target.
// Targets answer GET /companies/1 (bench/lib/company.js). Row `a` is the baseline every ratio uses.
//
// To add a row, append an object; `optional: true` rows run only when BENCH_ROWS names them. For a
// gateway row that needs a credential, give `options.setup`: a module path relative to bench/targets/
// whose `setup({ gateway, config, dataDir })` runs in the gateway's process once it has started,
// provisions the credential and returns the request headers the load generator must send. For example:
//
//   {
//     id: 'h',
//     label: 'Portcullis, API key',
//     description: 'Row f plus an API key checked on every request.',
//     target: 'gateway',
//     upstream: 'http-upstream',
//     options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }], setup: './setup-api-key.js' },
//   },

export const rows = [
  {
    id: 'a',
    label: 'direct upstream',
    description: 'A minimal node:https server answering GET /companies/1; no proxy. The baseline.',
    target: 'https-upstream',
  },
  {
    id: 'f',
    label: 'Portcullis, no policy',
    description: 'The gateway (public route, access log off, log level warn) in front of a plain-HTTP upstream.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', public: true }] },
  },
  {
    id: 'g',
    label: 'fastify + reply-from',
    description: 'A bare fastify 5 (HTTPS) with @fastify/reply-from 12 in front of the same plain-HTTP upstream.',
    target: 'fastify-proxy',
    upstream: 'http-upstream',
  },
  {
    id: 'm',
    optional: true, // a reference point: runs only when named, e.g. BENCH_ROWS=a,f,g,m
    label: 'minimal proxy (floor)',
    description: 'node:https + one undici Pool.stream per request, nothing else: what any Node proxy here costs at least.',
    target: 'minimal-proxy',
    upstream: 'http-upstream',
  },
  {
    id: 'h',
    label: 'Portcullis, API key',
    description: 'Row f plus an API key (Bearer) verified on every request: scope and IP allow-list checked, identity headers sent upstream.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }], setup: './setup-api-key.js' },
  },
  {
    id: 'j',
    label: 'Portcullis, JWT access token',
    description: 'Row h with an RFC 9068 access token (ES256) instead of the key: verified locally, cached by hash until exp, same checks and headers.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }], setup: './setup-access-token.js' },
  },
  {
    id: 'r',
    label: 'Portcullis, rate-limited key',
    description: 'Row h plus a per-consumer rate limit (in process, high enough never to refuse): one limiter decision and RateLimit headers per request.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: {
      routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }],
      service: { rateLimit: { requests: 1_000_000_000, per: '1m' } },
      setup: './setup-api-key.js',
    },
  },
  {
    id: 's',
    label: 'Portcullis, signed request',
    description: 'Row h plus an RFC 9421 hmac-sha256 signature (fresh nonce per request) verified on a signature: required route, nonce kept in process.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'], signature: 'required' }], setup: './setup-signed.js' },
  },
];

/** The goals a run is judged against. `needs` lists the rows a goal reads; it is skipped without them. */
export const goals = [
  {
    id: 'throughput',
    text: '(f) req/s >= 1.5 x (g) req/s',
    needs: ['f', 'g'],
    check: ({ f, g }) => ({ met: f.loaded.rps >= 1.5 * g.loaded.rps, actual: `${(f.loaded.rps / g.loaded.rps).toFixed(2)} x` }),
  },
  {
    id: 'added-latency',
    text: '(f) 1-connection p50 <= (a) 1-connection p50 + 0.15 ms',
    needs: ['a', 'f'],
    check: ({ a, f }) => {
      const added = f.unloaded.p50 - a.unloaded.p50;
      return { met: added <= 0.15, actual: `${added >= 0 ? '+' : ''}${added.toFixed(3)} ms` };
    },
  },
];
