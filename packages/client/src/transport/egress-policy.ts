import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { PolicyError } from '../errors.js';

/**
 * Where the client may send requests. Checked for every request and every redirect before anything is
 * sent, and again for the addresses a name resolves to at connect time (so DNS rebinding cannot turn
 * an allowed name into 127.0.0.1 or 169.254.169.254 after the first check).
 */
export interface EgressPolicy {
  /** Throws a PolicyError unless `url` is https, its host is allowed and an IP literal host is public. */
  check(url: URL): void;
  /** A `dns.lookup` replacement for the TLS connector that refuses non-public addresses. */
  lookup: typeof dnsLookup;
}

export interface EgressOptions {
  /** Exact host names, or `*.suffix` for any name under the suffix (not the suffix itself). */
  allowedHosts: readonly string[];
  /** Non-public addresses or CIDR ranges that may be reached anyway, e.g. `['10.1.2.0/24']`. */
  allowAddresses?: readonly string[];
}

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function createEgressPolicy(options: EgressOptions, resolve: typeof dnsLookup = dnsLookup): EgressPolicy {
  const matchHost = hostMatcher(options.allowedHosts);
  const allowed = (options.allowAddresses ?? []).map(parseAllowedAddress);
  const addressAllowed = (address: string): boolean => {
    const ip = normalise(ipaddr.parse(address));
    return ip.range() === 'unicast' || allowed.some((cidr) => ip.kind() === cidr[0].kind() && ip.match(cidr));
  };
  const refuse = (host: string, address: string): PolicyError =>
    new PolicyError(
      'address_not_allowed',
      `${host} resolves to ${address}, a private, loopback or link-local address: refused (add it to allowAddresses if this is intended).`,
      host,
    );

  const lookup = ((hostname: string, opts: LookupOptions | number | ((...args: unknown[]) => void), callback?: unknown) => {
    const cb = (typeof opts === 'function' ? opts : callback) as (err: Error | null, address?: unknown, family?: number) => void;
    const base: LookupOptions = typeof opts === 'object' && opts !== null ? opts : typeof opts === 'number' ? { family: opts } : {};
    resolve(hostname, { ...base, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return cb(err);
      const bad = addresses.find((a) => !addressAllowed(a.address));
      if (bad) return cb(refuse(hostname, bad.address));
      if (base.all) return cb(null, addresses);
      const first = addresses[0];
      if (!first) return cb(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      cb(null, first.address, first.family);
    });
  }) as typeof dnsLookup;

  return {
    check(url) {
      if (url.protocol !== 'https:') {
        throw new PolicyError('protocol_not_allowed', `Only https: URLs are sent, not ${url.protocol} (${url.host}): TLS is always on.`, url.hostname);
      }
      const host = hostOf(url);
      if (!matchHost(host)) {
        throw new PolicyError('host_not_allowed', `${host} is not in allowedHosts: add it (or a *.suffix covering it) to send requests there.`, host);
      }
      if (isIP(host) && !addressAllowed(host)) throw refuse(host, host);
    },
    lookup,
  };
}

/** The host name without IPv6 brackets, lower case, without a trailing dot. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

function normalise(ip: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
}

function parseAllowedAddress(entry: string): Cidr {
  try {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const ip = normalise(ipaddr.parse(entry));
    return [ip, ip.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new TypeError(`allowAddresses: "${entry}" is not an IP address or CIDR range (e.g. "10.0.0.0/8" or "127.0.0.1").`);
  }
}

function hostMatcher(entries: readonly string[]): (host: string) => boolean {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new TypeError('allowedHosts is required: list every host the client may call, e.g. allowedHosts: ["api.example.com", "*.example.org"].');
  }
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '') : '';
    if (isIP(entry) === 6) {
      exact.add(new URL(`https://[${entry}]/`).hostname.slice(1, -1));
    } else if (isIP(entry) === 4 || HOST_NAME.test(entry)) {
      if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
      else exact.add(entry);
    } else {
      throw new TypeError(`allowedHosts: "${String(raw)}" is not a host name: use "api.example.com" or "*.example.com" (no scheme, port or path).`);
    }
  }
  return (host) => exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix));
}
