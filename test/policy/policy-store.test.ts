import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTHENTICATION_KIND } from '../../src/policy/authentication/rule.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { createRuleForReview } from '../../src/policy/review-rule.js';
import { openStore, type Store } from '../dispatch/support.js';
import { BACKENDS } from '../support/databases.js';

const allow = { outcome: { action: 'allow' } };
const deny = { outcome: { action: 'deny' } };

describe.each(BACKENDS)('policy store: guarded writes, order, rules for review (%s)', (backend) => {
  let store: Store;
  let policies: PolicyStore;
  // A clock that never moves: every write must still change the kind's version.
  const frozen = () => 1_767_225_600_000;
  const names = async () => (await policies.list(AUTHENTICATION_KIND)).map((p) => p.name);

  beforeAll(async () => {
    store = await openStore(backend, frozen);
    policies = new PolicyStore(store.policies, async () => new Set(['staff']));
  });
  afterAll(async () => {
    await store?.close();
  });
  beforeEach(async () => {
    await policies.importSet({ [AUTHENTICATION_KIND]: { a: allow, b: deny, c: allow } });
  });

  it('changes the version with every write, also within one millisecond', async () => {
    const seen = new Set([await policies.version(AUTHENTICATION_KIND)]);
    await policies.put(AUTHENTICATION_KIND, 'a', { ...allow, description: 'one' });
    seen.add(await policies.version(AUTHENTICATION_KIND));
    await policies.put(AUTHENTICATION_KIND, 'a', { ...allow, description: 'two' });
    seen.add(await policies.version(AUTHENTICATION_KIND));
    await policies.move(AUTHENTICATION_KIND, 'a', 1, await policies.version(AUTHENTICATION_KIND));
    seen.add(await policies.version(AUTHENTICATION_KIND));
    expect(seen.size).toBe(4);
  });

  it('writes an edit only while the policy is the one read, and refuses a stale one', async () => {
    const read = await policies.get(AUTHENTICATION_KIND, 'b');
    await policies.put(AUTHENTICATION_KIND, 'b', { ...deny, description: 'first' }, read.updatedAt);
    await expect(
      policies.put(AUTHENTICATION_KIND, 'b', { ...deny, description: 'second' }, read.updatedAt),
    ).rejects.toMatchObject({ code: 'POLICY_STALE' });
    expect((await policies.get(AUTHENTICATION_KIND, 'b')).document).toMatchObject({ description: 'first' });
    await expect(policies.remove(AUTHENTICATION_KIND, 'b', read.updatedAt)).rejects.toMatchObject({
      code: 'POLICY_STALE',
    });
    expect(await names()).toEqual(['a', 'b', 'c']);
  });

  it('moves a rule up and down, refusing a move based on an old version', async () => {
    const version = await policies.version(AUTHENTICATION_KIND);
    expect(await policies.move(AUTHENTICATION_KIND, 'c', -1, version)).toBe(true);
    expect(await names()).toEqual(['a', 'c', 'b']);
    await expect(policies.move(AUTHENTICATION_KIND, 'a', 1, version)).rejects.toMatchObject({
      code: 'POLICY_STALE',
    });
    expect(await names()).toEqual(['a', 'c', 'b']);
    const now = await policies.version(AUTHENTICATION_KIND);
    expect(await policies.move(AUTHENTICATION_KIND, 'a', -1, now)).toBe(false);
    expect(await policies.move(AUTHENTICATION_KIND, 'a', 1, now)).toBe(true);
    expect(await names()).toEqual(['c', 'a', 'b']);
  });

  it('lists every problem of a document with its field', async () => {
    const checked = await policies.inspect(AUTHENTICATION_KIND, 'x', {
      when: { networks: ['10.0.0.0/33'], countries: ['XX'] },
      outcome: { action: 'mfa', methods: ['fax'] },
    });
    expect(checked).toEqual({
      problems: expect.arrayContaining([
        { path: 'when.networks.0', message: expect.stringMatching(/not an IP address or CIDR/) },
        { path: 'when.countries.0', message: expect.stringMatching(/ISO 3166/) },
        { path: 'outcome.methods.0', message: expect.any(String) },
      ]),
    });
    expect(
      await policies.inspect(AUTHENTICATION_KIND, 'x', { when: { groups: ['nobody'] }, ...allow }),
    ).toEqual({
      problems: [{ path: 'when.groups', message: expect.stringMatching(/unknown group "nobody"/) }],
    });
  });

  it('creates a rule for review: disabled, last, checked, never replacing one', async () => {
    const stored = await createRuleForReview(policies, 'block-xx', {
      description: 'suggested by a what-if',
      enabled: true,
      when: { countries: ['kp'] },
      outcome: { action: 'deny' },
    });
    expect(stored).toMatchObject({ enabled: false, when: { countries: ['KP'] } });
    expect(await names()).toEqual(['a', 'b', 'c', 'block-xx']);
    expect((await policies.get(AUTHENTICATION_KIND, 'block-xx')).document).toMatchObject({ enabled: false });
    await expect(createRuleForReview(policies, 'a', deny)).rejects.toMatchObject({ code: 'POLICY_EXISTS' });
    expect((await policies.get(AUTHENTICATION_KIND, 'a')).document).toMatchObject({ outcome: allow.outcome });
    await expect(
      createRuleForReview(policies, 'bad', { when: { groups: ['nobody'] }, ...deny }),
    ).rejects.toMatchObject({ code: 'POLICY_INVALID', message: expect.stringMatching(/when.groups/) });
    expect(await names()).toEqual(['a', 'b', 'c', 'block-xx']);
  });
});
