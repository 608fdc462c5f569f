import { describe, expect, it } from 'vitest';
import { checkEnrolment, type EnrolmentFacts } from '../../src/doors/selfservice/enrolment-guard.js';
import { checkRemoval } from '../../src/doors/selfservice/removal.js';
import type { MethodOffer } from '../../src/engine/challenges.js';

const DAY = 86_400_000;
const totp: MethodOffer = { tokenId: 'TOTP1', type: 'totp', source: 'device', label: '' };
const byDefault = { action: 'allow', rule: 'default' };

const facts = (overrides: Partial<EnrolmentFacts> = {}): EnrolmentFacts => ({
  session: { mfa: false, decision: byDefault },
  user: { createdAt: 0 },
  factors: [],
  windowDays: 14,
  now: DAY,
  ...overrides,
});

const codeOf = (run: () => unknown) => {
  try {
    run();
    return 'allowed';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('hardened enrolment', () => {
  it('lets a user with a factor add another only in a session signed in with one', () => {
    expect(codeOf(() => checkEnrolment(facts({ factors: [totp] })))).toBe('ENROL_NEEDS_MFA');
    expect(
      checkEnrolment(
        facts({ factors: [totp], session: { mfa: true, decision: { action: 'mfa', rule: 'default' } } }),
      ),
    ).toEqual({
      first: false,
    });
  });

  it('allows a first enrolment with the password alone only inside the window, counted from the account', () => {
    expect(checkEnrolment(facts())).toEqual({ first: true });
    expect(codeOf(() => checkEnrolment(facts({ now: 14 * DAY })))).toBe('ENROL_WINDOW_CLOSED');
    expect(codeOf(() => checkEnrolment(facts({ windowDays: 0 })))).toBe('ENROL_WINDOW_CLOSED');
  });

  it('never allows it when a rule or learned trust let the password through, or when the door did not say', () => {
    for (const decision of [
      { action: 'allow', rule: 'office-network' },
      { action: 'allow', rule: 'default:learned-trust' },
      { action: 'unknown', rule: 'unknown' },
    ]) {
      expect(codeOf(() => checkEnrolment(facts({ session: { mfa: false, decision } })))).toBe(
        'ENROL_SKIPPED_NETWORK',
      );
    }
  });
});

describe('removal', () => {
  const token = { id: 'TOTP1', status: 'active' as const };
  it('needs a second factor in the session, and keeps the last one when MFA is required', () => {
    expect(
      codeOf(() => checkRemoval({ token, session: { mfa: false }, factors: [totp], requireMfa: false })),
    ).toBe('REMOVE_NEEDS_MFA');
    expect(
      codeOf(() => checkRemoval({ token, session: { mfa: true }, factors: [totp], requireMfa: false })),
    ).toBe('allowed');
    expect(
      codeOf(() => checkRemoval({ token, session: { mfa: true }, factors: [totp], requireMfa: true })),
    ).toBe('LAST_FACTOR');
    const pending = { id: 'TOTP2', status: 'pending' as const };
    expect(
      codeOf(() =>
        checkRemoval({ token: pending, session: { mfa: false }, factors: [totp], requireMfa: true }),
      ),
    ).toBe('allowed');
  });
});
