import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { condition } from './condition.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** A CIDR range (a bare address is its own /32 or /128; ::ffff:a.b.c.d/n is IPv4), or null. */
export function parseRange(value: string): Range | null {
  try {
    if (!value.includes('/')) {
      const address = ipaddr.process(value);
      return [address, address.kind() === 'ipv4' ? 32 : 128];
    }
    const [address, bits] = ipaddr.parseCIDR(value);
    if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) {
      return [address.toIPv4Address(), bits - 96];
    }
    return [address, bits];
  } catch {
    return null;
  }
}

const cidr = z.string().refine((value) => parseRange(value) !== null, {
  error: (issue) =>
    `"${String(issue.input)}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)`,
});

/** The source address is in one of these networks (IPv4 and IPv6 CIDR ranges). */
export const networks = condition({
  key: 'networks',
  schema: z.array(cidr).min(1),
  compile(value) {
    const byKind: Record<string, Range[]> = { ipv4: [], ipv6: [] };
    for (const range of value.map((v) => parseRange(v)!)) byKind[range[0].kind()]!.push(range);
    return ({ ip }) => {
      if (!ip) return false;
      for (const range of byKind[ip.kind()]!) if (ip.match(range as [never, number])) return true;
      return false;
    };
  },
});
