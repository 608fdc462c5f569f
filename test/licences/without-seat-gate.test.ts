import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutSeatGate } from '../../src/licences/without-seat.js';
import type { Decision } from '../../src/policy/authentication/decision.js';
import { createTestCore, type TestCore } from '../support/core.js';

const decision = (door: string, action: Decision['action'] = 'mfa'): Decision => ({
  action,
  rule: 'default',
  overrides: {},
  facts: {
    address: '192.0.2.1',
    country: null,
    continent: null,
    door,
    application: '',
    trustedAddress: false,
    newCountry: false,
    newDevice: false,
  },
});

describe('licences.withoutSeat and the doors of the other pool', () => {
  let test: TestCore;
  beforeAll(async () => {
    test = await createTestCore('sqlite');
  });
  afterAll(() => test?.close());

  it('leaves the password-reset door to the reset seat: no MFA seat needed there, and no event', async () => {
    const user = await test.addUser('rita');
    const gate = withoutSeatGate(test.core.seats, 'deny', test.core.audit);
    const context = { address: '192.0.2.1', door: 'reset' } as Parameters<typeof gate>[1];
    expect(await gate(user, context, decision('reset'), { stepUp: 'reset' })).toMatchObject({
      action: 'mfa',
    });
    expect(await test.core.audit.recent({ type: 'licence.without-seat' })).toEqual([]);
    // Any other door refuses her under deny.
    expect(await gate(user, { ...context, door: 'radius' }, decision('radius', 'allow'))).toMatchObject({
      action: 'deny',
      message: 'ACCESS_DENIED_NO_SEAT',
    });
  });
});
