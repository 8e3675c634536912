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
//     id: 'b',
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
    id: 'b',
    label: 'Portcullis, API key',
    description: 'The gateway (access log off, log level warn) in front of a plain-HTTP upstream; an API key (Bearer) verified on every request: scope and IP allow-list checked, identity headers sent upstream.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }], setup: './setup-api-key.js' },
  },
  {
    id: 'c',
    label: 'Portcullis, JWT (cached)',
    description: 'Row b with an RFC 9068 access token (ES256) instead of the key: verified locally once, then found in the verified-token cache until exp; same checks and headers.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }], setup: './setup-access-token.js' },
  },
  {
    id: 'd',
    label: 'Portcullis, key + signature',
    description: 'Row b plus an RFC 9421 hmac-sha256 signature (fresh nonce per request, made before the run) verified on a signature: required route, nonce kept in process.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', scopes: ['companies:read'], signature: 'required' }], setup: './setup-signed.js' },
  },
  {
    id: 'e',
    label: 'Portcullis, key + limit (memory)',
    description: 'Row b plus a per-consumer rate limit in process, high enough never to refuse: one limiter decision and the RateLimit headers per request.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: {
      routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }],
      service: { rateLimit: { requests: 1_000_000_000, per: '1m' } },
      setup: './setup-api-key.js',
    },
  },
  {
    id: 'e2',
    requires: 'redis', // skipped with a message when Redis is not reachable (PORTCULLIS_BENCH_REDIS_URL)
    label: 'Portcullis, key + limit (Redis)',
    description: 'Row e with the limit kept in Redis (one Lua script round trip per request), as several instances share it.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: {
      routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }],
      service: { rateLimit: { requests: 1_000_000_000, per: '1m' } },
      setup: './setup-api-key.js',
    },
  },
  {
    id: 'n',
    requires: 'nginx', // skipped with a message when nginx is not installed (BENCH_NGINX, default /usr/sbin/nginx)
    label: 'nginx TLS + key map + limit_req',
    description: 'nginx (one process) with the same certificate, a map of the API key and limit_req, proxying to the same plain-HTTP upstream (bench/targets/nginx.js).',
    target: 'nginx',
    upstream: 'http-upstream',
  },
  {
    id: 'f',
    optional: true, // reference points: run only when named, e.g. BENCH_ROWS=a,b,f,g,m
    label: 'Portcullis, no policy',
    description: 'The gateway on a public route (no credential) in front of the plain-HTTP upstream.',
    target: 'gateway',
    upstream: 'http-upstream',
    options: { routes: [{ match: 'GET /companies/*', public: true }] },
  },
  {
    id: 'g',
    optional: true,
    label: 'fastify + reply-from',
    description: 'A bare fastify 5 (HTTPS) with @fastify/reply-from 12 in front of the same plain-HTTP upstream.',
    target: 'fastify-proxy',
    upstream: 'http-upstream',
  },
  {
    id: 'm',
    optional: true,
    label: 'minimal proxy (floor)',
    description: 'node:https + one undici Pool.stream per request, nothing else: what any Node proxy here costs at least.',
    target: 'minimal-proxy',
    upstream: 'http-upstream',
  },
];

const ratio = (x, y) => x / y;
/**
 * What one pinned core serves of a row, in requests per unit of its upstream's CPU: the target and its
 * upstream share the core, and the upstream runs the same code in every proxy row, so this ratio
 * cancels the host's speed drift between rows (docs/performance.md, "Reading the numbers").
 */
const capacity = (row) => {
  const { target, upstream } = row.loaded.cpuMicrosPerRequest;
  return upstream ? upstream / (target + upstream) : undefined;
};
/** The same comparison on `capacity`, when both rows have an upstream. */
const corrected = (x, y, atLeast, unit) => {
  const cx = capacity(x);
  const cy = capacity(y);
  if (cx === undefined || cy === undefined) return {};
  return { corrected: { met: cx / cy >= atLeast, actual: `${(cx / cy).toFixed(2)} x${unit}` } };
};
const within = (row, b, share) => ({
  met: ratio(row.loaded.rps, b.loaded.rps) >= 1 - share,
  actual: `${ratio(row.loaded.rps, b.loaded.rps).toFixed(2)} x (b)`,
  ...corrected(row, b, 1 - share, ' (b)'),
});

/** The goals a run is judged against (issue 15). `needs` lists the rows a goal reads; it is skipped without them. */
export const goals = [
  {
    id: 'vs-nginx',
    text: '(b) API key req/s >= 0.5 x (n) nginx with key and limit',
    needs: ['b', 'n'],
    check: ({ b, n }) => ({ met: ratio(b.loaded.rps, n.loaded.rps) >= 0.5, actual: `${ratio(b.loaded.rps, n.loaded.rps).toFixed(2)} x`, ...corrected(b, n, 0.5, '') }),
  },
  { id: 'jwt', text: '(c) JWT within 10% of (b)', needs: ['b', 'c'], check: ({ b, c }) => within(c, b, 0.1) },
  { id: 'memory-limit', text: '(e) memory limit within 10% of (b)', needs: ['b', 'e'], check: ({ b, e }) => within(e, b, 0.1) },
  { id: 'redis-limit', text: '(e2) Redis limit within 25% of (b)', needs: ['b', 'e2'], check: ({ b, e2 }) => within(e2, b, 0.25) },
  { id: 'signature', text: '(d) signature within 25% of (b)', needs: ['b', 'd'], check: ({ b, d }) => within(d, b, 0.25) },
  {
    id: 'unloaded-p50',
    text: '(b) 1-connection p50 <= (n) 1-connection p50 + 0.05 ms',
    needs: ['b', 'n'],
    check: ({ b, n }) => {
      const added = b.unloaded.p50 - n.unloaded.p50;
      return { met: added <= 0.05, actual: `${added >= 0 ? '+' : ''}${added.toFixed(3)} ms` };
    },
  },
];
