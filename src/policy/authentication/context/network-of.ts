import ipaddr from 'ipaddr.js';
import { TrustErrors } from './errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Prefix lengths that group addresses into one learned network. */
export interface NetworkPrefixes {
  prefixV4: number;
  prefixV6: number;
}

/**
 * The canonical CIDR (`203.0.113.0/24`, `2001:db8:1:2::/64`) of the network an address belongs
 * to, so that every address of one office or one home connection counts towards the same trust.
 * IPv4-mapped IPv6 addresses are IPv4; a zone id is dropped. Raises TRUST_ADDRESS_INVALID.
 */
export function networkOf(address: string, prefixes: NetworkPrefixes): string {
  let parsed: Address;
  try {
    parsed = ipaddr.process(address.trim());
  } catch (error) {
    throw TrustErrors.TRUST_ADDRESS_INVALID({ detail: `"${address}" is not an IP address`, cause: error });
  }
  return cidr(parsed, parsed.kind() === 'ipv4' ? prefixes.prefixV4 : prefixes.prefixV6);
}

/**
 * The canonical form of a network as an administrator writes it: a CIDR range (host bits
 * cleared) or a bare address, which stands for its network under `prefixes`.
 * Raises TRUST_ADDRESS_INVALID.
 */
export function canonicalNetwork(text: string, prefixes: NetworkPrefixes): string {
  if (!text.includes('/')) return networkOf(text, prefixes);
  try {
    const [address, bits] = ipaddr.parseCIDR(text.trim());
    if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) {
      return cidr(address.toIPv4Address(), bits - 96);
    }
    return cidr(address, bits);
  } catch (error) {
    throw TrustErrors.TRUST_ADDRESS_INVALID({ detail: `"${text}" is not an IP network`, cause: error });
  }
}

function cidr(address: Address, bits: number): string {
  const bytes = address.toByteArray().map((byte, i) => {
    const kept = Math.min(8, Math.max(0, bits - i * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
  return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
}
