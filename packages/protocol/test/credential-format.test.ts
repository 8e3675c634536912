import { describe, expect, it } from 'vitest';
import {
  BASE62_ALPHABET,
  CREDENTIAL_CHECKSUM_LENGTH,
  CREDENTIAL_ID_LENGTH,
  CREDENTIAL_PATTERN,
  CREDENTIAL_PREFIXES,
  CREDENTIAL_SECRET_LENGTH,
  decodeBase62,
  encodeBase62,
  findCredentials,
  generateCredential,
  parseCredential,
  randomBase62,
} from '../src/index.js';
import type { CredentialKind } from '../src/index.js';

const KINDS = Object.keys(CREDENTIAL_PREFIXES) as CredentialKind[];
/** `pck_` + id + `_` */
const ID_START = 4;
const SECRET_START = ID_START + CREDENTIAL_ID_LENGTH + 1;
const CHECKSUM_START = SECRET_START + CREDENTIAL_SECRET_LENGTH;
const KEY_LENGTH = CHECKSUM_START + CREDENTIAL_CHECKSUM_LENGTH;

/** A reference decoder in BigInt arithmetic, independent of the package's own. */
function referenceDecode(text: string): bigint {
  let n = 0n;
  for (const c of text) n = n * 62n + BigInt(BASE62_ALPHABET.indexOf(c));
  return n;
}

function substitute(value: string, index: number, c: string): string {
  return value.slice(0, index) + c + value.slice(index + 1);
}

/** Every position a user types after the prefix: id, secret and checksum, skipping the `_` between id and secret. */
function typedPositions(): number[] {
  const positions: number[] = [];
  for (let i = ID_START; i < KEY_LENGTH; i++) if (i !== SECRET_START - 1) positions.push(i);
  return positions;
}

describe('credential format', () => {
  it.each(KINDS)('round-trips a generated %s through parseCredential', (kind) => {
    const generated = generateCredential(kind);
    expect(generated.kind).toBe(kind);
    expect(generated.value).toHaveLength(KEY_LENGTH);
    expect(generated.value.startsWith(`${CREDENTIAL_PREFIXES[kind]}_${generated.id}_`)).toBe(true);
    expect(generated.id).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(parseCredential(generated.value)).toEqual({ ok: true, credential: { kind, id: generated.id, value: generated.value } });
  });

  it('uses the documented prefixes', () => {
    expect(CREDENTIAL_PREFIXES).toEqual({ apiKey: 'pck', adminToken: 'pca', clientSecret: 'pcs' });
  });

  describe('typos are refused without a lookup', () => {
    it.each(KINDS)('refuses every single-character substitution in the id, secret and checksum of a %s (checksum)', (kind) => {
      for (let round = 0; round < 4; round++) {
        const { value } = generateCredential(kind);
        const accepted: string[] = [];
        for (const i of typedPositions()) {
          for (const c of BASE62_ALPHABET) {
            if (c === value[i]) continue;
            const typo = substitute(value, i, c);
            const result = parseCredential(typo);
            if (result.ok || result.reason !== 'checksum') accepted.push(typo);
          }
        }
        expect(accepted).toEqual([]);
      }
    });

    it('refuses a substitution with a character outside the alphabet (malformed)', () => {
      const { value } = generateCredential('apiKey');
      for (const i of typedPositions()) {
        for (const c of ['-', '_', ' ', '.', '+', '/', '=', 'é', '\0']) {
          expect(parseCredential(substitute(value, i, c))).toEqual({ ok: false, reason: 'malformed' });
        }
      }
    });

    it('refuses every swap of two adjacent different characters (checksum)', () => {
      for (let round = 0; round < 10; round++) {
        const { value } = generateCredential('apiKey');
        for (let i = ID_START; i < KEY_LENGTH - 1; i++) {
          const a = value[i] as string;
          const b = value[i + 1] as string;
          if (a === b || a === '_' || b === '_') continue;
          const swapped = value.slice(0, i) + b + a + value.slice(i + 2);
          expect(parseCredential(swapped)).toEqual({ ok: false, reason: 'checksum' });
        }
      }
    });

    it('refuses a key with a character dropped or added (malformed)', () => {
      const { value } = generateCredential('apiKey');
      for (const i of typedPositions()) {
        expect(parseCredential(value.slice(0, i) + value.slice(i + 1))).toEqual({ ok: false, reason: 'malformed' });
        expect(parseCredential(value.slice(0, i) + 'x' + value.slice(i))).toEqual({ ok: false, reason: 'malformed' });
      }
    });

    it('refuses a key whose prefix was swapped for another kind (checksum covers the prefix)', () => {
      const { value } = generateCredential('apiKey');
      expect(parseCredential(`pca${value.slice(3)}`)).toEqual({ ok: false, reason: 'checksum' });
      expect(parseCredential(`pcs${value.slice(3)}`)).toEqual({ ok: false, reason: 'checksum' });
    });
  });

  describe('refuses anything not shaped like a credential (malformed)', () => {
    const { value } = generateCredential('apiKey');
    const cases: [string, string][] = [
      ['the empty string', ''],
      ['an unknown prefix', `pcx${value.slice(3)}`],
      ['a foreign prefix', `ghp${value.slice(3)}`],
      ['an upper-case prefix', `PCK${value.slice(3)}`],
      ['a missing prefix', value.slice(4)],
      ['a dash instead of an underscore', `pck-${value.slice(4)}`],
      ['one character short', value.slice(0, -1)],
      ['one character long', `${value}0`],
      ['a short id', `pck_${value.slice(5)}`],
      ['a trailing newline', `${value}\n`],
      ['leading whitespace', ` ${value}`],
      ['trailing whitespace', `${value} `],
      ['a Bearer scheme in front', `Bearer ${value}`],
      ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
      ['a very long string', `${value}${'a'.repeat(10_000)}`],
    ];
    it.each(cases)('%s', (_name, text) => {
      expect(parseCredential(text)).toEqual({ ok: false, reason: 'malformed' });
    });
  });

  describe('findCredentials and CREDENTIAL_PATTERN (secret scanners, log redaction)', () => {
    it('finds every kind of credential embedded in text', () => {
      const keys = KINDS.map((kind) => generateCredential(kind).value);
      const text = [
        `export PORTCULLIS_KEY=${keys[0]}`,
        `{"apiKey":"${keys[1]}","x":1}`,
        `curl -H 'Authorization: Bearer ${keys[2]}' https://api.example.com/`,
        `https://example.com/path?key=${keys[0]}&b=2`,
        `(${keys[1]}).`,
      ].join('\n');
      const found = findCredentials(text);
      expect(found.map((f) => f.value)).toEqual([keys[0], keys[1], keys[2], keys[0], keys[1]]);
      expect(found.map((f) => f.kind)).toEqual(['apiKey', 'adminToken', 'clientSecret', 'apiKey', 'adminToken']);
      for (const f of found) {
        expect(f.checksumValid).toBe(true);
        expect(text.slice(f.index, f.index + f.value.length)).toBe(f.value);
      }
    });

    it.each([
      ['a letter before', (k: string) => `x${k}`],
      ['a letter after', (k: string) => `${k}x`],
      ['letters on both sides', (k: string) => `abc${k}def`],
      ['digits on both sides', (k: string) => `123${k}456`],
      ['an underscore before', (k: string) => `_${k}`],
      ['a path around it', (k: string) => `/files/a${k}.json`],
      ['another key right after it', (k: string) => `${k}${k}`],
    ])('finds a key run together with other characters: %s (redaction, defect 8)', (_name, wrap) => {
      const { value } = generateCredential('apiKey');
      const found = findCredentials(wrap(value));
      expect(found.length).toBeGreaterThanOrEqual(1);
      expect(found[0]?.value).toBe(value);
      expect(found[0]?.checksumValid).toBe(true);
    });

    it('reports a same-shaped string with a wrong checksum, marked invalid (a scrubber still removes it)', () => {
      const { value } = generateCredential('apiKey');
      const typo = value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
      expect(findCredentials(`see ${typo}`)).toEqual([{ kind: 'apiKey', index: 4, value: typo, checksumValid: false }]);
      expect(findCredentials('pck_short_notakey nothing here')).toEqual([]);
      expect(findCredentials('')).toEqual([]);
    });

    it('CREDENTIAL_PATTERN is not global: .test() gives the same answer every time (issue 7)', () => {
      const { value } = generateCredential('apiKey');
      expect(CREDENTIAL_PATTERN.global).toBe(false);
      expect([1, 2, 3, 4].map(() => CREDENTIAL_PATTERN.test(value))).toEqual([true, true, true, true]);
      expect(CREDENTIAL_PATTERN.test(`x${value}x`)).toBe(true);
      expect(CREDENTIAL_PATTERN.test('pck_short_notakey')).toBe(false);
    });

    it('findCredentials keeps no state between calls', () => {
      const { value } = generateCredential('apiKey');
      for (let i = 0; i < 3; i++) expect(findCredentials(value).map((f) => f.value)).toEqual([value]);
    });

    it('leaves a scanner few false positives: a same-shaped random string almost never has a valid checksum', () => {
      let valid = 0;
      for (let i = 0; i < 2_000; i++) {
        const candidate = `pck_${randomBase62(CREDENTIAL_ID_LENGTH)}_${randomBase62(CREDENTIAL_SECRET_LENGTH + CREDENTIAL_CHECKSUM_LENGTH)}`;
        const found = findCredentials(candidate);
        expect(found.map((f) => f.value)).toEqual([candidate]);
        if (found[0]?.checksumValid) valid++;
      }
      expect(valid).toBe(0); // chance of one accidental pass: about 2000 / 2^32
    });
  });

  describe('randomness', () => {
    const N = 10_000;
    const generated = Array.from({ length: N }, () => generateCredential('apiKey').value);
    const ids = generated.map((v) => v.slice(ID_START, ID_START + CREDENTIAL_ID_LENGTH));
    const secrets = generated.map((v) => v.slice(SECRET_START, CHECKSUM_START));

    it('never repeats an id or a secret over 10k generations', () => {
      expect(new Set(ids).size).toBe(N);
      expect(new Set(secrets).size).toBe(N);
    });

    /**
     * Pearson's chi-square over the 62 characters (61 degrees of freedom, mean 61, sd 11). The bound, 150,
     * is passed by a uniform source except with probability about 1e-9, while a naive `byte % 62`
     * (the first 8 characters 25% more likely) scores in the thousands on this many samples.
     */
    function chiSquare(texts: readonly string[]): number {
      const counts = new Map<string, number>();
      let total = 0;
      for (const text of texts) {
        for (const c of text) {
          counts.set(c, (counts.get(c) ?? 0) + 1);
          total++;
        }
      }
      expect([...counts.keys()].every((c) => BASE62_ALPHABET.includes(c))).toBe(true);
      const expected = total / 62;
      let chi = 0;
      for (const c of BASE62_ALPHABET) chi += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
      return chi;
    }

    it('draws id characters uniformly from the alphabet', () => {
      expect(chiSquare(ids)).toBeLessThan(150);
    });

    it('draws secret characters uniformly from the alphabet', () => {
      expect(chiSquare(secrets)).toBeLessThan(150);
    });

    it('draws the first id character uniformly too (no leading-zero bias)', () => {
      expect(chiSquare(ids.map((id) => id[0] as string))).toBeLessThan(150);
    });

    it('returns exactly the requested number of base62 characters', () => {
      for (const length of [0, 1, 12, 32, 100, 1000]) expect(randomBase62(length)).toMatch(new RegExp(`^[0-9A-Za-z]{${length}}$`));
    });
  });

  describe('encodeBase62', () => {
    it.each([
      [0, 6, '000000'],
      [0, 0, ''],
      [1, 1, '1'],
      [61, 1, 'z'],
      [62, 2, '10'],
      [62, 4, '0010'],
      [62 ** 6 - 1, 6, 'zzzzzz'],
    ] as const)('encodes %d in %d characters as %s', (value, width, expected) => {
      expect(encodeBase62(value, width)).toBe(expected);
    });

    it('fits every CRC32 value in the checksum width', () => {
      expect(encodeBase62(2 ** 32 - 1, CREDENTIAL_CHECKSUM_LENGTH)).toHaveLength(CREDENTIAL_CHECKSUM_LENGTH);
      expect(referenceDecode(encodeBase62(2 ** 32 - 1, CREDENTIAL_CHECKSUM_LENGTH))).toBe(2n ** 32n - 1n);
    });

    it('round-trips values and bigints, padded to the width', () => {
      for (const value of [0n, 1n, 61n, 62n, 3_843n, 2n ** 32n, 2n ** 64n - 1n, 62n ** 11n]) {
        const encoded = encodeBase62(value, 12);
        expect(encoded).toHaveLength(12);
        expect(referenceDecode(encoded)).toBe(value);
      }
    });

    it('decodeBase62 inverts it for every checksum value, and says -1 for a character outside the alphabet', () => {
      for (const value of [0, 1, 61, 62, 3_843, 2 ** 31, 2 ** 32 - 1, 62 ** 6 - 1]) {
        expect(decodeBase62(encodeBase62(value, CREDENTIAL_CHECKSUM_LENGTH))).toBe(value);
      }
      for (let i = 0; i < 1_000; i++) {
        const value = Math.floor(Math.random() * 2 ** 32);
        const encoded = encodeBase62(value, CREDENTIAL_CHECKSUM_LENGTH);
        expect(decodeBase62(encoded)).toBe(Number(referenceDecode(encoded)));
      }
      expect(decodeBase62('00-000')).toBe(-1);
      expect(decodeBase62('0000é0')).toBe(-1);
      expect(() => decodeBase62('123456789')).toThrow(RangeError);
    });

    it('refuses a checksum of alphabet characters worth more than any CRC32 (zzzzzz)', () => {
      const { value } = generateCredential('apiKey');
      expect(parseCredential(value.slice(0, CHECKSUM_START) + 'zzzzzz')).toEqual({ ok: false, reason: 'checksum' });
    });

    it('refuses a value that does not fit the width, and a negative one', () => {
      expect(() => encodeBase62(62 ** 6, 6)).toThrow(RangeError);
      expect(() => encodeBase62(1, 0)).toThrow(RangeError);
      expect(() => encodeBase62(-1, 6)).toThrow(RangeError);
      expect(() => encodeBase62(-1n, 6)).toThrow(RangeError);
    });
  });
});
