import { z } from 'zod';
import { durationSchema } from './syntax.js';

/**
 * Configuration of security operations: access records, anomaly alerts and telemetry export. Every
 * default lives here; docs/configuration.md and docs/operations.md describe each key.
 */

const httpsUrl = z.string().refine((text) => {
  try {
    return new URL(text).protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an https:// URL such as "https://hooks.example.com/portcullis" (alerts carry consumer names: never over plain HTTP)');

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name such as "PORTCULLIS_WEBHOOK_SECRET"');

export const accessRecordsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Records older than this are deleted. */
    retention: durationSchema('30d').default(30 * 86_400_000),
    /** At most this many records wait in memory for the next batch; more are dropped and counted. */
    queueSize: z.number().int().min(100).max(1_000_000).default(10_000),
  })
  .prefault({});

const window = (example: string, ms: number) => durationSchema(example).default(ms);

export const alertsSchema = z
  .strictObject({
    /** Authentication failures from one client IP, or for one consumer, within `window`. */
    failureSpike: z.strictObject({ failures: z.number().int().min(1).default(20), window: window('1m', 60_000) }).prefault({}),
    /** A key used from a network (IPv4 /24, IPv6 /48 by default) it has never been used from. */
    newNetwork: z
      .strictObject({ enabled: z.boolean().default(true), ipv4Prefix: z.number().int().min(8).max(32).default(24), ipv6Prefix: z.number().int().min(16).max(128).default(48) })
      .prefault({}),
    /** A consumer's requests in one `window` at least `factor` times its previous window (and at least `minRequests`). */
    trafficShift: z
      .strictObject({ factor: z.number().min(1.5).default(5), minRequests: z.number().int().min(1).default(100), window: window('5m', 300_000) })
      .prefault({}),
    /** How often keys past keys.warnAge are looked for. */
    keyAgeCheck: window('1h', 3_600_000),
    /** Token-issuance failures for one client within `window` (events from the OAuth server). */
    tokenFailures: z.strictObject({ failures: z.number().int().min(1).default(10), window: window('5m', 300_000) }).prefault({}),
    /** The same rule for the same subject alerts again only after this. */
    cooldown: window('15m', 900_000),
    /** Each alert is POSTed to every webhook, signed with RFC 9421 HTTP Message Signatures (hmac-sha256). */
    webhooks: z
      .array(z.strictObject({ url: httpsUrl, keyId: z.string().min(1).max(100), secretEnv: envName, ca: z.string().optional() }))
      .default([]),
  })
  .prefault({});

export const telemetrySchema = z
  .strictObject({
    /** OTLP/HTTP endpoint base URL (spans to /v1/traces); absent: no export, no cost. */
    otlp: z
      .strictObject({
        endpoint: z.string().url('expected a URL such as "https://otel-collector:4318"'),
        serviceName: z.string().min(1).default('portcullis'),
      })
      .optional(),
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;
