import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { inRanges, normalizeIp, parseRanges } from '../http/ip-ranges.js';
import type { RequestContext } from './context.js';

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
    responseHeaders: undefined,
    bodyTransform: undefined,
  };
}
