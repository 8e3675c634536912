import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { findCredentials } from '@portcullis/protocol';

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

/** A JWS compact serialisation: base64url header that starts with `{"` (eyJ), payload, signature; wherever it sits. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
/** What either pattern needs somewhere in a text (case aside): a text without it is left as it is, in one scan. */
const JWT_OR_BEARER = /eyJ|bearer/i;

/** Replaces the given [start, end) spans of a text, sorted by start; overlapping spans merge into one. */
function cut(text: string, spans: readonly (readonly [number, number])[]): string {
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (end <= at) continue;
    out += start >= at ? `${text.slice(at, start)}[REDACTED]` : '';
    at = end;
  }
  return out + text.slice(at);
}

const PERCENT_ASCII = /%[0-7][0-9A-Fa-f]/;
const HEX2 = /^[0-7][0-9A-Fa-f]$/;

/** One pass of percent-decoding (ASCII escapes only), keeping for each character the raw index it came from. */
function decodeOnce(text: string, origin: readonly number[]): { text: string; origin: number[] } {
  let out = '';
  const from: number[] = [];
  for (let i = 0; i < text.length; ) {
    const hex = text[i] === '%' ? text.slice(i + 1, i + 3) : '';
    from.push(origin[i] as number);
    if (HEX2.test(hex)) {
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 3;
    } else {
      out += text[i];
      i += 1;
    }
  }
  from.push(origin[text.length] as number);
  return { text: out, origin: from };
}

/**
 * Credential spans in a text, found in its raw form and in its percent-decoded forms (`pck%5F...`,
 * `%70ck_...`, double encoding): each decoded character remembers the raw span it came from, so the
 * raw text is redacted where a decoded form holds a key. A credential is all ASCII, so only ASCII
 * escapes are decoded.
 */
function credentialSpans(text: string): [number, number][] {
  const spans: [number, number][] = findCredentials(text).map((f) => [f.index, f.index + f.value.length]);
  if (!PERCENT_ASCII.test(text)) return spans; // the common line: nothing encoded, nothing more to do
  let layer = { text, origin: Array.from({ length: text.length + 1 }, (_, i) => i) };
  for (let pass = 0; pass < 3 && PERCENT_ASCII.test(layer.text); pass++) {
    layer = decodeOnce(layer.text, layer.origin);
    for (const f of findCredentials(layer.text)) spans.push([layer.origin[f.index] as number, layer.origin[f.index + f.value.length] as number]);
  }
  return spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
}

/**
 * Removes anything shaped like a Portcullis credential (raw or percent-encoded, on its own or run
 * together with other characters), a JWT or a bearer value from one log line.
 */
export function scrubSecrets(line: string): string {
  const spans = credentialSpans(line);
  const scrubbed = spans.length === 0 ? line : cut(line, spans);
  if (!JWT_OR_BEARER.test(scrubbed)) return scrubbed; // most lines and paths: one scan instead of two replaces
  return scrubbed.replace(JWT_PATTERN, '[REDACTED]').replace(BEARER_PATTERN, '$1[REDACTED]');
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
