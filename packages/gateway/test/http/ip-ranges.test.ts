import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { checkIpRange, clientNetwork, inRanges, limitKeyOfIp, normalizeIp, parseAllowList } from '../../src/http/ip-ranges.js';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/**
 * Addresses and ranges are accepted only in canonical text, everywhere one is typed: key allow-lists
 * (admin API, CLI) and trustedProxies (config). Issue 6, defects 4 and 5.
 */

/** inet_aton's legacy forms and other spellings that tools read differently. */
const LOOSE = [
  '010.0.0.1', // octal to inet_aton: 8.0.0.1
  '0177.0.0.1',
  '0x7f.0.0.1',
  '0x7f000001',
  '2130706433',
  '127.1',
  '127.0.1',
  '10.0.0.01',
  '00.0.0.0',
  '1.2.3.4.5',
  '::ffff:010.0.0.1',
  'fe80::1%eth0', // a zone id names an interface of one machine
  '010.0.0.0/8',
  '0x0a.0.0.0/8',
];

/** Host bits set: the entry and the network it must have meant. */
const HOST_BITS: [string, string][] = [
  ['10.0.0.5/8', '10.0.0.0/8'],
  ['192.168.1.1/24', '192.168.1.0/24'],
  ['172.16.5.4/12', '172.16.0.0/12'],
  ['10.0.0.1/0', '0.0.0.0/0'],
  ['2001:db8::1/32', '2001:db8::/32'],
  ['2001:db8:0:1::/48', '2001:db8::/48'],
];

const CANONICAL = ['10.0.0.1', '10.0.0.0/8', '0.0.0.0', '255.255.255.255/32', '2001:db8::/32', '2001:DB8::1', '::1', '::ffff:127.0.0.1', '::ffff:127.0.0.0/104', '1:2:3:4:5:6:7:8'];

describe('canonical addresses only', () => {
  it.each(LOOSE)('refuses %s with a message about canonical form', (text) => {
    const checked = checkIpRange(text);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.message).toMatch(/not a canonical IP address|expected an IP address or CIDR/);
  });

  it.each(HOST_BITS)('refuses %s (host bits set) and names the network %s', (text, network) => {
    const checked = checkIpRange(text);
    expect(checked.ok ? '' : checked.message).toContain(`did you mean the network "${network}"`);
  });

  it.each(CANONICAL)('accepts %s', (text) => {
    expect(checkIpRange(text).ok).toBe(true);
  });

  it('refuses loose forms as client addresses too (a trusted proxy\'s X-Forwarded-For hop)', () => {
    for (const text of ['010.0.0.1', '127.1', '2130706433', '0x7f.0.0.1']) expect(normalizeIp(text)).toBeUndefined();
    expect(normalizeIp('10.0.0.1')?.toString()).toBe('10.0.0.1');
  });

  it('makes a stored allow-list entry that no longer parses match nothing: fail closed, never open', () => {
    const ranges = parseAllowList(['010.0.0.1']);
    expect(ranges).toEqual([]);
    expect(inRanges(normalizeIp('8.0.0.1') as NonNullable<ReturnType<typeof normalizeIp>>, ranges ?? [])).toBe(false);
    expect(parseAllowList([])).toBeUndefined(); // no list at all: any address
  });
});

describe('trustedProxies refuses a range that trusts everyone', () => {
  function refusal(trustedProxies: string[]): string {
    try {
      validateConfig({ trustedProxies }, 'test.yaml', '/tmp', {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  }

  it.each([['0.0.0.0/0'], ['::/0'], ['::ffff:0.0.0.0/96'], ['10.0.0.0/8', '0.0.0.0/0']])('refuses %s at start, with the reason', (...trustedProxies) => {
    const message = refusal(trustedProxies);
    expect(message).toMatch(/trustedProxies\[\d\]: .* trusts every address, so any caller could choose its own client address with X-Forwarded-For/);
  });

  it('refuses host bits and loose forms there, naming the key', () => {
    expect(refusal(['10.0.0.5/8'])).toContain('trustedProxies[0]: "10.0.0.5/8" has host bits set: did you mean the network "10.0.0.0/8"');
    expect(refusal(['010.0.0.1'])).toContain('trustedProxies[0]: "010.0.0.1" is not a canonical IP address');
  });

  it('accepts ordinary proxy ranges', () => {
    expect(validateConfig({ trustedProxies: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.10'] }, 'test.yaml', '/tmp', {}).trustedProxies).toHaveLength(3);
  });
});

describe('key allow-lists through the admin API', () => {
  let t: CredentialGateway;
  let consumerId: string;
  beforeAll(async () => {
    t = await startCredentialGateway();
    consumerId = await t.createConsumer();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it.each([...LOOSE, ...HOST_BITS.map(([text]) => text)])('refuses allowedIps [%s] with 400 naming the entry', async (entry) => {
    const reply = await t.admin('POST', '/admin/v1/keys', { consumerId, allowedIps: ['127.0.0.1', entry] });
    const body = expectProblem(reply, 400, 'bad-request');
    const errors = body.errors as { field: string; detail: string }[];
    expect(errors.map((e) => e.field)).toEqual(['allowedIps[1]']);
    expect(errors[0]?.detail).toMatch(/canonical|host bits|expected an IP address/);
  });

  it('stores and enforces a canonical entry as typed', async () => {
    const key = await t.createKey({ consumerId, scopes: ['companies:read'], allowedIps: ['127.0.0.0/8'] });
    expect(key.allowedIps).toEqual(['127.0.0.0/8']);
    expect((await t.callWith(key.key)).status).toBe(200);
  });
});

describe('what IP-based limits count a client under', () => {
  it('an IPv4 address as itself (an IPv4-mapped one too), an IPv6 address by its /64', () => {
    expect(limitKeyOfIp('203.0.113.7')).toBe('203.0.113.7');
    expect(limitKeyOfIp('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(limitKeyOfIp('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(limitKeyOfIp('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(limitKeyOfIp('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  });

  it('names the network of an address at the given prefixes', () => {
    expect(clientNetwork('198.51.100.77', 24, 48)).toBe('198.51.100.0/24');
    expect(clientNetwork('2001:db8:aa:bb::1', 24, 48)).toBe('2001:db8:aa::/48');
    expect(clientNetwork('not-an-address', 24, 48)).toBeUndefined();
  });
});
