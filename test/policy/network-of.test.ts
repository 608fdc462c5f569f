import { describe, expect, it } from 'vitest';
import { TrustErrors } from '../../src/policy/authentication/context/errors.js';
import { canonicalNetwork, networkOf } from '../../src/policy/authentication/context/network-of.js';

const DEFAULT = { prefixV4: 24, prefixV6: 64 };

describe('networkOf', () => {
  it('groups IPv4 addresses by /24 and IPv6 addresses by /64 by default', () => {
    expect(networkOf('203.0.113.7', DEFAULT)).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.255', DEFAULT)).toBe('203.0.113.0/24');
    expect(networkOf('203.0.114.1', DEFAULT)).toBe('203.0.114.0/24');
    expect(networkOf('2001:db8:1:2:abcd::7', DEFAULT)).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:DB8:1:2:ffff:ffff:ffff:ffff', DEFAULT)).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8:1:3::1', DEFAULT)).toBe('2001:db8:1:3::/64');
  });

  it('follows the configured prefix lengths, including ones that are not byte aligned', () => {
    expect(networkOf('203.0.113.7', { prefixV4: 32, prefixV6: 128 })).toBe('203.0.113.7/32');
    expect(networkOf('203.0.113.7', { prefixV4: 20, prefixV6: 64 })).toBe('203.0.112.0/20');
    expect(networkOf('2001:db8:1:2::7', { prefixV4: 24, prefixV6: 128 })).toBe('2001:db8:1:2::7/128');
    expect(networkOf('2001:db8:1:2::7', { prefixV4: 24, prefixV6: 36 })).toBe('2001:db8::/36');
  });

  it('treats IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(networkOf('::ffff:203.0.113.7', DEFAULT)).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:cb00:7107', DEFAULT)).toBe('203.0.113.0/24');
  });

  it('drops an IPv6 zone id', () => {
    expect(networkOf('fe80::1%eth0', DEFAULT)).toBe('fe80::/64');
  });

  it('refuses what is not an IP address', () => {
    for (const bad of ['', 'example.com', '203.0.113.0/24', '300.1.1.1', 'unknown']) {
      expect(() => networkOf(bad, DEFAULT)).toThrow(
        expect.objectContaining({ code: 'TRUST_ADDRESS_INVALID' }) as Error,
      );
    }
  });
});

describe('canonicalNetwork', () => {
  it('clears host bits of a CIDR and keeps its prefix length', () => {
    expect(canonicalNetwork('203.0.113.9/24', DEFAULT)).toBe('203.0.113.0/24');
    expect(canonicalNetwork('203.0.113.0/28', DEFAULT)).toBe('203.0.113.0/28');
    expect(canonicalNetwork('2001:0db8:0001:0002:0000::/64', DEFAULT)).toBe('2001:db8:1:2::/64');
    expect(canonicalNetwork('::ffff:203.0.113.0/120', DEFAULT)).toBe('203.0.113.0/24');
  });

  it('turns a bare address into its network', () => {
    expect(canonicalNetwork('203.0.113.9', DEFAULT)).toBe('203.0.113.0/24');
  });

  it('refuses what is not a network', () => {
    try {
      canonicalNetwork('203.0.113.0/33', DEFAULT);
      expect.unreachable();
    } catch (error) {
      expect(TrustErrors.is(error, 'TRUST_ADDRESS_INVALID')).toBe(true);
    }
  });
});
