import ipaddr from 'ipaddr.js';

/**
 * The source network monitoring groups an address by: its /24 for IPv4, its /48 for IPv6 (what
 * one site or customer usually holds), as `203.0.113.0/24` or `2001:db8:1::/48`; null when the
 * text is not an IP address. IPv4-mapped IPv6 counts as IPv4.
 */
export function sourceNetwork(address: string): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address);
  } catch {
    return null;
  }
  if (ip.kind() === 'ipv4') {
    const [a, b, c] = (ip as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 3);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0, 0]).toString()}/48`;
}
