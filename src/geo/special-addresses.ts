import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Decides which addresses are worth a database lookup. Private, loopback, documentation and other
 * special-purpose ranges (IANA's special-purpose registries) have no country, yet whois-derived
 * databases answer for some of them: the bundled one says AU for 192.168.0.0/16 and 172.16.0.0/12,
 * and JP for 2001:db8::/32. So they are filtered here, on integers, without allocating.
 */

/** IPv4 special-purpose ranges as [network, prefix length]. */
const IPV4_SPECIAL: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

const ipv4Ranges = IPV4_SPECIAL.map(([network, bits]) => ({
  shift: 32 - bits,
  network: ipv4ToNumber(network) >>> (32 - bits),
}));

/** The longest textual address: eight groups ending in a dotted quad (45 characters). */
const MAX_ADDRESS_LENGTH = 45;

/**
 * The form of `address` to look up: the address itself for a public IPv4 or IPv6 address, the
 * IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:203.0.113.7`, what Node sockets on a
 * dual-stack listener report), or null for anything special-purpose or not an address at all.
 */
export function lookupForm(address: string): string | null {
  if (typeof address !== 'string' || address.length > MAX_ADDRESS_LENGTH) return null;
  const family = isIP(address);
  if (family === 4) return isPublicIpv4(address) ? address : null;
  if (family !== 6 || address.includes('%')) return null; // zones only qualify link-local addresses
  const head = ipv6Head(address);
  if (head >= 0x20000000 && head < 0x40000000) return isPublicIpv6Head(head) ? address : null;
  if (head !== 0) return null; // outside 2000::/3: unique-local, link-local, multicast, NAT64 ...
  const mapped = mappedIpv4(address);
  return mapped !== null && isPublicIpv4(mapped) ? mapped : null;
}

function isPublicIpv4(address: string): boolean {
  const value = ipv4ToNumber(address);
  for (const range of ipv4Ranges) if (value >>> range.shift === range.network) return false;
  return true;
}

/** A dotted quad that node:net has validated, as an unsigned 32-bit number. */
function ipv4ToNumber(address: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + c - 48;
  }
  return value * 256 + octet;
}

/** The first 32 bits of a valid IPv6 address (groups after a `::` are zero). */
function ipv6Head(address: string): number {
  let head = 0;
  let groups = 0;
  let group = 0;
  let digits = 0;
  for (let i = 0; i < address.length && groups < 2; i++) {
    const c = address.charCodeAt(i);
    if (c === 58) {
      if (digits === 0) break; // `::`: the rest of the head is zero
      head = head * 65536 + group;
      groups++;
      group = 0;
      digits = 0;
    } else {
      group = group * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
      digits++;
    }
  }
  return groups === 2 ? head : head * 65536 ** (2 - groups);
}

/** Global unicast (2000::/3) minus the special-purpose ranges inside it. */
function isPublicIpv6Head(head: number): boolean {
  const first = Math.floor(head / 65536);
  const second = head % 65536;
  if (first === 0x2001) return second >= 0x0200 && second !== 0x0db8; // 2001::/23, 2001:db8::/32
  if (first === 0x2002) return false; // 6to4
  if (first === 0x3fff) return second >= 0x1000; // 3fff::/20, documentation (RFC 9637)
  return true;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d` fast, other spellings via ipaddr.js). */
function mappedIpv4(address: string): string | null {
  if (address.startsWith('::ffff:') || address.startsWith('::FFFF:')) {
    const tail = address.slice(7);
    if (isIP(tail) === 4) return tail;
  }
  try {
    const parsed = ipaddr.IPv6.parse(address);
    return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : null;
  } catch {
    return null;
  }
}
