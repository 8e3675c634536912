import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * IP addresses and CIDR ranges, for allow-lists and trusted proxies: one module, one parser.
 *
 * Only canonical text is accepted: IPv4 as four decimal parts without leading zeros, IPv6 in RFC 4291
 * §2.2 text (any letter case, `::` compression, an embedded canonical IPv4), no zone id. The legacy
 * inet_aton forms (`010.0.0.1` octal, `0x7f.0.0.1` hex, `2130706433`, `127.1`) are read differently by
 * different tools, so an entry typed one way could be enforced another (`010.0.0.1` as 8.0.0.1).
 */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** A network: an address and a prefix length. */
export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** node:net's checks are strict (no octal, hex or short IPv4 forms); a zone id has no place in a policy. */
function isCanonicalAddress(text: string): boolean {
  return isIPv4(text) || (isIPv6(text) && !text.includes('%'));
}

export type RangeCheck = { readonly ok: true; readonly range: IpRange } | { readonly ok: false; readonly message: string };

const EXPECTED = 'expected an IP address or CIDR such as "10.0.0.0/8" or "2001:db8::/32"';

/** Parses one address or CIDR, strictly; a refusal says what is wrong and what was probably meant. */
export function checkIpRange(text: string): RangeCheck {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const prefix = slash === -1 ? undefined : text.slice(slash + 1);
  if (!isCanonicalAddress(address)) {
    if (ipaddr.isValid(address)) {
      return {
        ok: false,
        message: `"${address}" is not a canonical IP address: write IPv4 as four decimal numbers without leading zeros (such as "10.0.0.1"), and IPv6 without a zone id; octal, hex and short forms are read differently by different tools`,
      };
    }
    return { ok: false, message: EXPECTED };
  }
  const addr = ipaddr.parse(address);
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  const bits = prefix === undefined ? max : /^(0|[1-9][0-9]{0,2})$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (!(bits <= max)) return { ok: false, message: EXPECTED };
  const network = networkOf(addr, bits);
  if (network.toString() !== addr.toString()) {
    return {
      ok: false,
      message: `"${text}" has host bits set: did you mean the network "${network.toString()}/${bits}", or the one address "${address}/${max}"?`,
    };
  }
  // Normalise ::ffff:0:0/96 style entries to IPv4 so they match processed addresses.
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return { ok: true, range: [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96] };
  }
  return { ok: true, range: [addr, bits] };
}

/** The first address of the prefix-length network that holds `addr`. */
function networkOf(addr: IpAddress, bits: number): IpAddress {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] as number) & (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes);
}

/** Does this range hold every address of its family (0.0.0.0/0, ::/0, ::ffff:0:0/96)? */
export function isWholeFamily(range: IpRange): boolean {
  return range[1] === 0;
}

/**
 * A client address in canonical text (a socket peer, a trusted proxy's X-Forwarded-For hop).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is treated as the IPv4 address it carries.
 */
export function normalizeIp(text: string): IpAddress | undefined {
  if (!isCanonicalAddress(text)) return undefined;
  return ipaddr.process(text);
}

/**
 * Parsed client addresses, remembered: allow-list checks would otherwise parse the same few peer
 * addresses on every request. Bounded; emptied when full.
 */
const parsedAddresses = new Map<string, IpAddress | undefined>();
export function parseClientIp(text: string): IpAddress | undefined {
  let addr = parsedAddresses.get(text);
  if (addr === undefined && !parsedAddresses.has(text)) {
    if (parsedAddresses.size >= 4_096) parsedAddresses.clear();
    addr = normalizeIp(text);
    parsedAddresses.set(text, addr);
  }
  return addr;
}

/** The network, as `address/prefix` text, that holds a client address; undefined when it is not one. */
export function clientNetwork(ip: string, v4Prefix: number, v6Prefix: number): string | undefined {
  const addr = parseClientIp(ip);
  if (!addr) return undefined;
  return networkText(addr, addr.kind() === 'ipv4' ? v4Prefix : v6Prefix);
}

function networkText(addr: IpAddress, prefix: number): string {
  return `${networkOf(addr, prefix).toString()}/${prefix}`;
}

/**
 * What an IP-based limit counts a client address under: an IPv4 address as itself, an IPv6 address
 * by its /64. One host or subscriber is usually given a whole /64 (often a /56 or /48), so counting
 * IPv6 addresses one by one would hand a single client 2^64 fresh budgets, and fill memory with their
 * counters. Remembered like parseClientIp, bounded.
 */
const limitKeys = new Map<string, string>();
export function limitKeyOfIp(ip: string): string {
  let key = limitKeys.get(ip);
  if (key === undefined) {
    const addr = parseClientIp(ip);
    key = addr === undefined ? ip : addr.kind() === 'ipv6' ? networkText(addr, 64) : addr.toString();
    if (limitKeys.size >= 4_096) limitKeys.clear();
    limitKeys.set(ip, key);
  }
  return key;
}

export function inRanges(addr: IpAddress, ranges: readonly IpRange[]): boolean {
  for (const [net, bits] of ranges) {
    if (addr.kind() === net.kind() && addr.match(net, bits)) return true;
  }
  return false;
}

/** Parses validated entries (config, admin input); an invalid one is a programming error here. */
export function parseRanges(texts: readonly string[]): IpRange[] {
  return texts.map((text) => {
    const checked = checkIpRange(text);
    if (!checked.ok) throw new TypeError(checked.message);
    return checked.range;
  });
}

/**
 * A stored allow-list: `undefined` when it is empty (any address). An entry stored before the strict
 * syntax that no longer parses matches nothing: the list fails closed, never open.
 */
export function parseAllowList(texts: readonly string[]): IpRange[] | undefined {
  if (texts.length === 0) return undefined;
  const ranges: IpRange[] = [];
  for (const text of texts) {
    const checked = checkIpRange(text);
    if (checked.ok) ranges.push(checked.range);
  }
  return ranges;
}
