import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { CREDENTIAL_PATTERN } from '@portcullis/protocol';

export type { Logger };

/**
 * Known secret-bearing fields, redacted by path. The line-level scrub below is the backstop for secrets
 * that turn up elsewhere (a key pasted into a path, an upstream error echoing a token).
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.password',
  '*.client_secret',
  '*.clientSecret',
  '*.secret',
  '*.token',
  '*.key',
  'password',
  'client_secret',
  'secret',
  'token',
  'key',
];

/** A JWS compact serialisation: base64url header that starts with `{"` (eyJ), payload, signature. */
const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

/** Removes anything shaped like a Portcullis credential, a JWT or a bearer value from one log line. */
export function scrubSecrets(line: string): string {
  return line
    .replace(CREDENTIAL_PATTERN, '[REDACTED]')
    .replace(JWT_PATTERN, '[REDACTED]')
    .replace(BEARER_PATTERN, '$1[REDACTED]');
}

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: 'portcullis' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrubSecrets },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
