import { randomUUID } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from './context.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseRange(text: string): Range {
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const addr = ipaddr.parse(text);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is treated as the IPv4 address it carries. */
export function normalizeIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
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
const parsedAddresses = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | undefined>();
export function parseClientIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let addr = parsedAddresses.get(text);
  if (addr === undefined && !parsedAddresses.has(text)) {
    if (parsedAddresses.size >= 4_096) parsedAddresses.clear();
    addr = normalizeIp(text);
    parsedAddresses.set(text, addr);
  }
  return addr;
}

export function inRanges(addr: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly Range[]): boolean {
  for (const [net, bits] of ranges) {
    if (addr.kind() === net.kind() && addr.match(net, bits)) return true;
  }
  return false;
}

export function parseRanges(texts: readonly string[]): Range[] {
  return texts.map((t) => {
    const [addr, bits] = parseRange(t);
    // Normalise ::ffff:0:0/96 style entries to IPv4 so they match processed addresses.
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96] as Range;
    }
    return [addr, bits] as Range;
  });
}

/**
 * The client address: the socket peer, unless that peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right past trusted hops. Anyone else's X-Forwarded-For is ignored,
 * so a spoofed header cannot move a caller into an allow-list.
 */
export function createClientIpResolver(trustedProxies: readonly string[]) {
  const trusted = parseRanges(trustedProxies);
  if (trusted.length === 0) {
    // No proxy is trusted: the peer address is the answer, and no header is read. Socket addresses are
    // already canonical text; only an IPv4-mapped IPv6 peer needs unwrapping.
    return function resolveClientIp(socketAddress: string | undefined): string {
      if (!socketAddress) return 'unknown';
      return socketAddress.startsWith('::ffff:') && socketAddress.includes('.') ? socketAddress.slice(7) : socketAddress;
    };
  }
  return function resolveClientIp(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string {
    const peer = normalizeIp(socketAddress ?? '');
    if (!peer) return socketAddress ?? 'unknown';
    if (!inRanges(peer, trusted) || !forwardedFor) return peer.toString();
    let client = peer;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeIp((hops[i] ?? '').trim());
      if (!hop) break; // a malformed hop: trust nothing to its left
      client = hop;
      if (!inRanges(hop, trusted)) break;
    }
    return client.toString();
  };
}

export function createContext(req: IncomingMessage, resolveClientIp: ReturnType<typeof createClientIpResolver>): RequestContext {
  return {
    id: randomUUID(),
    startedAt: performance.now(),
    clientIp: resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']),
    path: '',
    query: '',
    route: undefined,
    principal: undefined,
  };
}
