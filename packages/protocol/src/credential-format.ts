import { crc32 } from 'node:zlib';
import { decodeBase62, encodeBase62, randomBase62 } from './base62.js';

/**
 * Portcullis credentials share one self-describing format, in the manner of GitHub's tokens:
 *
 *   <prefix>_<id>_<secret><checksum>
 *
 * - prefix:   what the credential is (`pck` API key, `pca` admin token, `pcs` OAuth client secret)
 * - id:       12 base62 characters (~71 bits), public, the lookup key in the store
 * - secret:   32 base62 characters (~190 bits) from crypto.randomBytes
 * - checksum: CRC32 of everything before it, 6 base62 characters
 *
 * The checksum lets a mistyped credential be refused without a store lookup, and lets secret scanners
 * recognise a leaked one with few false positives. It is not a security control: the secret is.
 */
export const CREDENTIAL_PREFIXES = { apiKey: 'pck', adminToken: 'pca', clientSecret: 'pcs' } as const;
export type CredentialKind = keyof typeof CREDENTIAL_PREFIXES;

export const CREDENTIAL_ID_LENGTH = 12;
export const CREDENTIAL_SECRET_LENGTH = 32;
export const CREDENTIAL_CHECKSUM_LENGTH = 6;

/**
 * The shape of a Portcullis credential: prefix, id, then secret and checksum. Not global (a `/g` regex
 * keeps `lastIndex` between calls, so `.test()` would answer true, false, true for one key) and not
 * anchored at word boundaries: a key glued to other characters (`x${key}`, `/files/${key}.json`) is
 * still a key. The lengths are fixed, so the shape cannot run into what follows it.
 */
export const CREDENTIAL_PATTERN = /pc[kas]_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/;

/** A credential-shaped string found in a text. */
export interface FoundCredential {
  readonly kind: CredentialKind;
  /** Where it starts in the text, in UTF-16 code units. */
  readonly index: number;
  readonly value: string;
  /**
   * Whether its checksum holds. A scanner reporting leaks wants only these; a log scrubber redacts
   * every match, since a mistyped key still carries most of a real secret.
   */
  readonly checksumValid: boolean;
}

// No capture groups: on the verification hot path the parts are sliced at their fixed offsets instead.
const SHAPE = /^pc[kas]_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/;
const ID_START = 4;
const CHECKSUM_START = ID_START + CREDENTIAL_ID_LENGTH + 1 + CREDENTIAL_SECRET_LENGTH;
const KIND_BY_PREFIX = new Map<string, CredentialKind>(
  Object.entries(CREDENTIAL_PREFIXES).map(([kind, prefix]) => [prefix, kind as CredentialKind]),
);

export interface ParsedCredential {
  readonly kind: CredentialKind;
  readonly id: string;
  /** The whole credential string, as presented. */
  readonly value: string;
}

export type CredentialParseResult =
  | { readonly ok: true; readonly credential: ParsedCredential }
  | { readonly ok: false; readonly reason: 'malformed' | 'checksum' };

function checksumOf(body: string): string {
  return encodeBase62(crc32(body), CREDENTIAL_CHECKSUM_LENGTH);
}

/** Creates a new credential of the given kind. The caller shows it once and stores only its hash. */
export function generateCredential(kind: CredentialKind): ParsedCredential {
  const id = randomBase62(CREDENTIAL_ID_LENGTH);
  const body = `${CREDENTIAL_PREFIXES[kind]}_${id}_${randomBase62(CREDENTIAL_SECRET_LENGTH)}`;
  return { kind, id, value: body + checksumOf(body) };
}

/**
 * Checks shape and checksum only; whether the credential exists is the verifier's business. Runs on
 * every API-key request, so the checksum is compared as a number (the presented one decoded) rather
 * than by building the expected string.
 */
export function parseCredential(value: string): CredentialParseResult {
  if (!SHAPE.test(value)) return { ok: false, reason: 'malformed' };
  if (crc32(value.slice(0, CHECKSUM_START)) !== decodeBase62(value.slice(CHECKSUM_START))) return { ok: false, reason: 'checksum' };
  const kind = KIND_BY_PREFIX.get(value.slice(0, 3));
  if (!kind) return { ok: false, reason: 'malformed' };
  return { ok: true, credential: { kind, id: value.slice(ID_START, ID_START + CREDENTIAL_ID_LENGTH), value } };
}

const FIND = new RegExp(CREDENTIAL_PATTERN.source, 'g');

/**
 * Finds every credential-shaped string in a text by its format (prefix, body, checksum), wherever it
 * sits: at a word boundary or run together with other characters. Stateless: safe to call from anywhere.
 */
export function findCredentials(text: string): FoundCredential[] {
  const found: FoundCredential[] = [];
  if (!text.includes('pc')) return found;
  for (const match of text.matchAll(FIND)) {
    const value = match[0];
    const parsed = parseCredential(value);
    const kind = KIND_BY_PREFIX.get(value.slice(0, 3)) as CredentialKind;
    found.push({ kind, index: match.index, value, checksumValid: parsed.ok });
  }
  return found;
}
