import { isIP } from 'node:net';
import { z } from 'zod';
import { parseRouteMatch } from './route-match.js';
import { checkIpRange, isWholeFamily } from '../http/ip-ranges.js';
import { durationSchema, ipRangeSchema, scopeSchema } from './syntax.js';
import { accessRecordsSchema, alertsSchema, telemetrySchema } from './operations-schema.js';
import { consoleSchema } from './console-schema.js';

/**
 * The configuration schema (CONTRACT §2). Every default lives here, in one place; docs/configuration.md
 * describes each key. Objects are strict: an unknown key is an error, since a misspelt security setting
 * silently ignored is worse than a refused start.
 */

const duration = durationSchema;

export const REDIS_DEFAULTS = { keyPrefix: 'portcullis:', instances: 1 } as const;

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1).refine((h) => isIP(h) !== 0 || /^[A-Za-z0-9.-]+$/.test(h), 'expected a host name or IP address');

const cidr = ipRangeSchema;

/**
 * A trusted proxy's X-Forwarded-For decides the client address, and so the IP allow-lists: trusting
 * every address would turn each allow-list into a header anyone can set.
 */
const trustedProxy = cidr.superRefine((text, ctx) => {
  const checked = checkIpRange(text);
  if (checked.ok && isWholeFamily(checked.range)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" trusts every address, so any caller could choose its own client address with X-Forwarded-For and pass any IP allow-list; list only your proxies or load balancers, such as "10.0.0.0/24"`,
    });
  }
});

const url = (protocols: readonly string[], example: string) =>
  z.string().refine((text) => {
    try {
      return protocols.includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, `expected a URL such as "${example}"`);

const noPasswordInUrl = (text: string) => {
  try {
    return new URL(text).password === '';
  } catch {
    return true;
  }
};

/** `requests` per `per` (a duration); counted across all instances when redis is configured. */
const rateLimitSchema = z.strictObject({ requests: z.number().int().min(1), per: duration('1m').refine((ms) => ms >= 1000, 'expected at least 1s') });

const routeSchema = z.strictObject({
  match: z.string().superRefine((text, ctx) => {
    const parsed = parseRouteMatch(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  }),
  scopes: z.array(scopeSchema).default([]),
  signature: z.enum(['required', 'optional']).default('optional'),
  public: z.boolean().default(false),
  /** Replaces the service's per-consumer limit on this route (its own budget). */
  rateLimit: rateLimitSchema.optional(),
  /** Tighter limits than the global `limits` for this route. */
  limits: z
    .strictObject({ maxBodyBytes: z.number().int().min(0).optional(), maxHeaderBytes: z.number().int().min(1024).optional() })
    .optional(),
});

const serviceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes'),
  upstream: url(['http:', 'https:'], 'http://127.0.0.1:9000'),
  /** PEM file of a private CA for an https upstream; the upstream's certificate is always validated. */
  ca: z.string().optional(),
  timeout: duration('30s').default(30_000),
  connections: z.number().int().min(1).max(1024).default(64),
  /** Per consumer, across all instances. */
  rateLimit: rateLimitSchema.optional(),
  /** Per client IP, for requests without a principal (public routes). */
  ipRateLimit: rateLimitSchema.optional(),
  routes: z.array(routeSchema).min(1, 'a service needs at least one route'),
});

export const configSchema = z
  .strictObject({
    listen: z.strictObject({ host: host.default('127.0.0.1'), port: port.default(8443) }).prefault({}),
    tls: z.union([z.literal('auto'), z.strictObject({ cert: z.string().min(1), key: z.string().min(1) })]).default('auto'),
    admin: z.strictObject({ host: host.default('127.0.0.1'), port: port.default(8444) }).prefault({}),
    dataDir: z.string().min(1).default('./.portcullis'),
    database: z
      .strictObject({
        url: url(['postgres:', 'postgresql:'], 'postgres://portcullis@db.internal:5432/portcullis').refine(
          noPasswordInUrl,
          'a password does not belong in this file: set PGPASSWORD, or PORTCULLIS_DATABASE_URL in the environment',
        ),
      })
      .optional(),
    redis: z
      .strictObject({
        url: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').refine(
          noPasswordInUrl,
          'a password does not belong in this file: set PORTCULLIS_REDIS_URL in the environment',
        ),
        /** Prefix of every key the gateway writes, so deployments can share one Redis. */
        keyPrefix: z.string().max(64).default(REDIS_DEFAULTS.keyPrefix),
        /** How many gateway instances share the limits: when Redis fails, each enforces 1/instances of a limit. */
        instances: z.number().int().min(1).max(1000).default(REDIS_DEFAULTS.instances),
      })
      .optional(),
    trustedProxies: z.array(trustedProxy).default([]),
    limits: z
      .strictObject({
        maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
        maxBodyBytes: z.number().int().min(0).default(1_048_576),
        headersTimeout: duration('10s').default(10_000),
        bodyTimeout: duration('30s').default(30_000),
        handshakeTimeout: duration('10s').default(10_000),
        keepAliveTimeout: duration('5s').default(5_000),
      })
      .prefault({}),
    headers: z
      .strictObject({
        /** Like nginx's underscores_in_headers: CGI/WSGI read `X_Forwarded_For` as `X-Forwarded-For`. */
        allowUnderscores: z.boolean().default(false),
      })
      .prefault({}),
    keys: z
      .strictObject({ maxAge: duration('90d').default(90 * 86_400_000), warnAge: duration('30d').default(30 * 86_400_000) })
      .prefault({})
      .refine((keys) => keys.warnAge < keys.maxAge, { message: 'warnAge must be shorter than maxAge', path: ['warnAge'] }),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        access: z.boolean().default(true),
      })
      .prefault({}),
    /** Brute-force defence: failed authentications per client IP and per credential id (docs/rate-limits.md). */
    bruteForce: z
      .strictObject({
        ipFailures: z.number().int().min(1).default(20),
        credentialFailures: z.number().int().min(1).default(10),
        window: duration('15m').default(15 * 60_000),
        block: duration('15m').default(15 * 60_000),
        /** Failures answered at once; each one after this is delayed a little more, up to maxDelay. */
        slowAfter: z.number().int().min(0).default(5),
        maxDelay: duration('2s').default(2_000),
      })
      .prefault({}),
    drainTimeout: duration('10s').default(10_000),
    /** Processes serving the one data-plane port (node:cluster); `auto`: one per CPU (docs/configuration.md). */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default(1),
    /** The authorization server (docs/oauth.md, CONTRACT §4). */
    oauth: z
      .strictObject({
        /** The `iss` of every token and the metadata's issuer; absent: the data plane's own https URL. */
        issuer: url(['https:'], 'https://api.example.com')
          .refine((text) => !/[?#]/.test(text) && !text.endsWith('/'), 'an issuer has no query, fragment or trailing slash (RFC 8414 §2)')
          .optional(),
        /** The `aud` of every token (RFC 9068 §3): the resource. Absent: the issuer. */
        audience: z.string().min(1).optional(),
        /** RFC 9068 tokens are short-lived: at most a day (refresh before they expire). */
        accessTokenLifetime: duration('1h').default(3_600_000).refine((ms) => ms <= 86_400_000, 'at most 24h: access tokens are short-lived; clients refresh them'),
        signingAlgorithm: z.enum(['ES256', 'EdDSA']).default('ES256'),
        /**
         * authorization_code: where /oauth/authorize sends the user to log in (with ?request_id=...). The
         * login page approves the request through the admin API. Absent: only client_credentials.
         */
        loginUrl: url(['https:'], 'https://login.example.com/portcullis').optional(),
      })
      .prefault({}),
    accessRecords: accessRecordsSchema,
    alerts: alertsSchema,
    telemetry: telemetrySchema,
    console: consoleSchema,
    services: z.array(serviceSchema).default([]),
  })
  .superRefine((config, ctx) => {
    // The listener refuses headers over the global limit before any route is known.
    config.services.forEach((service, i) => {
      service.routes.forEach((route, j) => {
        const max = route.limits?.maxHeaderBytes;
        if (max !== undefined && max > config.limits.maxHeaderBytes) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'routes', j, 'limits', 'maxHeaderBytes'],
            message: `a route can only lower the global limits.maxHeaderBytes (${config.limits.maxHeaderBytes}); raise that first, e.g. limits: { maxHeaderBytes: ${max} }`,
          });
        }
      });
    });
    const seen = new Map<string, number>();
    config.services.forEach((service, index) => {
      const first = seen.get(service.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', index, 'name'],
          message: `duplicate service name "${service.name}" (also services[${first}]): each service needs its own name`,
        });
      } else seen.set(service.name, index);
    });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ServiceConfig = ParsedConfig['services'][number];
export type RouteConfig = ServiceConfig['routes'][number];
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
