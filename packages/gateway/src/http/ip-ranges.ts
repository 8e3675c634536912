import ipaddr from 'ipaddr.js';

/** IP addresses and CIDR ranges, for allow-lists and trusted proxies: one module, one parser. */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** A network: an address and a prefix length. */
export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseRange(text: string): IpRange {
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const addr = ipaddr.parse(text);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is treated as the IPv4 address it carries. */
export function normalizeIp(text: string): IpAddress | undefined {
  try {
    return ipaddr.process(text);
  } catch {
    return undefined;
  }
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

export function inRanges(addr: IpAddress, ranges: readonly IpRange[]): boolean {
  for (const [net, bits] of ranges) {
    if (addr.kind() === net.kind() && addr.match(net, bits)) return true;
  }
  return false;
}

export function parseRanges(texts: readonly string[]): IpRange[] {
  return texts.map((t) => {
    const [addr, bits] = parseRange(t);
    // Normalise ::ffff:0:0/96 style entries to IPv4 so they match processed addresses.
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96] as IpRange;
    }
    return [addr, bits] as IpRange;
  });
}


/** Is `text` an address or CIDR range that parseRanges accepts? (config and admin validation) */
export function isIpRange(text: string): boolean {
  try {
    parseRanges([text]);
    return true;
  } catch {
    return false;
  }
}
