import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/dispatch/circuit-breaker.js';
import { LOAD_BALANCING_KIND } from '../../src/dispatch/load-balancing-policy.js';
import { SmoothWeighted } from '../../src/dispatch/smooth-weighted.js';
import {
  loadLoadBalancingPolicies,
  parseLoadBalancingPolicy,
} from '../../src/policy/load-balancing-store.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { BACKENDS } from '../support/databases.js';
import { openStore, type Store } from './support.js';

describe('load-balancing policy documents', () => {
  it('fills in the defaults', () => {
    expect(parseLoadBalancingPolicy('p', { channels: ['sms'], members: [{ gateway: 'a' }] })).toEqual({
      name: 'p',
      strategy: 'priority',
      channels: ['sms'],
      members: [{ gateway: 'a', priority: 0, weight: 1 }],
      attemptTimeoutSeconds: 5,
      circuitBreaker: { failures: 3, coolDownSeconds: 30 },
    });
  });

  it('refuses bad documents with POLICY_INVALID naming the field', () => {
    const invalid = (document: unknown) => () => parseLoadBalancingPolicy('p', document);
    expect(invalid({ channels: ['fax'], members: [{ gateway: 'a' }] })).toThrow(/"p": channels.0/);
    expect(invalid({ channels: ['sms'], members: [] })).toThrow(/members/);
    expect(invalid({ channels: ['sms'], members: [{ gateway: 'a' }, { gateway: 'a' }] })).toThrow(
      /listed twice/,
    );
    expect(invalid({ channels: ['sms'], members: [{ gateway: 'a', weight: 0 }] })).toThrow(
      /members.0.weight/,
    );
    expect(invalid({ channels: ['sms'], members: [{ gateway: 'a' }], extra: 1 })).toThrow(
      /POLICY_INVALID|extra/,
    );
  });
});

describe('smooth weighted round-robin', () => {
  it('interleaves picks by weight, deterministically', () => {
    const rotation = new SmoothWeighted();
    const members = [
      { gateway: 'a', weight: 5 },
      { gateway: 'b', weight: 1 },
      { gateway: 'c', weight: 1 },
    ];
    const picks = Array.from({ length: 7 }, () => rotation.pick(members));
    expect(picks).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });
});

describe('circuit breaker', () => {
  it('opens after N failures, lets one trial through after the cool-down, closes on success', () => {
    const breaker = new CircuitBreaker();
    const settings = { failures: 2, coolDownSeconds: 10 };
    expect(breaker.failure(0, settings)).toBe(false);
    expect(breaker.failure(0, settings)).toBe(true);
    expect(breaker.state(9_999)).toBe('open');
    expect(breaker.available(9_999)).toBe(false);
    expect(breaker.available(10_000)).toBe(true);
    breaker.begin(10_000);
    expect(breaker.available(10_000)).toBe(false);
    breaker.success();
    expect(breaker.state(10_000)).toBe('closed');
  });
});

describe.each(BACKENDS)('stored load-balancing policies (%s)', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(backend);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('round-trips through the policies table in position order, skipping invalid documents', async () => {
    // A document stored behind the store's back (an older schema, a hand edit) that no longer validates.
    await store.policies.put(LOAD_BALANCING_KIND, 'broken', { channels: 'sms' });
    const policies_ = new PolicyStore(store.policies);
    await policies_.put(LOAD_BALANCING_KIND, 'first', { channels: ['email'], members: [{ gateway: 'm' }] });
    await policies_.put(LOAD_BALANCING_KIND, 'second', { channels: ['sms'], members: [{ gateway: 'b' }] });
    const problems: string[] = [];
    const policies = await loadLoadBalancingPolicies(store.policies, (error) => problems.push(error.message));
    expect(policies.map((p) => p.name)).toEqual(['first', 'second']);
    expect(problems).toEqual([expect.stringMatching(/"broken": channels/)]);
    await expect(policies_.put(LOAD_BALANCING_KIND, 'x', { members: [] })).rejects.toMatchObject({
      code: 'POLICY_INVALID',
    });
  });
});
