import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WithoutSeat } from '../../src/licences/without-seat.js';
import { ACR_MFA, ACR_PASSWORD, type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';

/** The `licence.without-seat` audit events of a user, newest first. */
async function seatEvents(passgate: PolicyServer, username: string) {
  const user = await passgate.core.users.findByUsername(username);
  return passgate.core.audit.recent({ type: 'licence.without-seat', userId: user!.id });
}

describe.each<WithoutSeat>(['deny', 'password-only', 'allow'])(
  'a sign-in at the OIDC door of a user without an MFA seat, licences.withoutSeat: %s',
  (mode) => {
    let passgate: PolicyServer;

    beforeAll(async () => {
      passgate = await startPolicyServer({ config: { licences: { withoutSeat: mode } } });
      // Both have a TOTP token: the default policy asks them for it.
      const seated = await passgate.addTotpUser('sam');
      await passgate.addTotpUser('nina');
      await passgate.core.seats.allocate([seated.id], 'mfa', 'test');
    });
    afterAll(() => passgate?.close());

    it('leaves a user holding a seat to the policy, without a licence event', async () => {
      const signIn = await SignIn.start(await passgate.rp());
      await signIn.password('sam');
      expect(signIn.asksSecondFactor).toBe(true);
      await signIn.code(passgate.totp());
      expect((await signIn.claims()).acr).toBe(ACR_MFA);
      expect(await seatEvents(passgate, 'sam')).toEqual([]);
    });

    it('applies the setting to a user without a seat and audits it', async () => {
      const signIn = await SignIn.start(await passgate.rp());
      await signIn.password('nina');
      const [event] = await seatEvents(passgate, 'nina');
      const details = { withoutSeat: mode, door: 'oidc', application: 'test-app', policyAction: 'mfa' };
      if (mode === 'deny') {
        expect(signIn.asksSecondFactor).toBe(false);
        expect(signIn.callback).toBeUndefined();
        expect(signIn.page.status).toBe(403);
        expect(signIn.page.body).toContain('Your account has no licence to sign in here.');
        expect(event).toMatchObject({
          outcome: 'denied',
          reason: 'ACCESS_DENIED_NO_SEAT',
          details: { ...details, action: 'deny' },
        });
        expect((await passgate.logins('nina'))[0]).toMatchObject({
          outcome: 'denied',
          details: { rule: 'licence:without-seat' },
        });
      } else if (mode === 'password-only') {
        expect(signIn.asksSecondFactor).toBe(false);
        expect(await signIn.claims()).toMatchObject({ acr: ACR_PASSWORD, amr: ['pwd'] });
        expect(event).toMatchObject({ outcome: 'info', details: { ...details, action: 'allow' } });
        expect((await passgate.logins('nina'))[0]).toMatchObject({
          outcome: 'success',
          details: { rule: 'licence:password-only', action: 'allow', method: null },
        });
      } else {
        expect(signIn.asksSecondFactor).toBe(true);
        await signIn.code(passgate.totp());
        expect((await signIn.claims()).acr).toBe(ACR_MFA);
        expect(event).toMatchObject({ outcome: 'info', details: { ...details, action: 'mfa' } });
      }
    });

    // Registered for password-only alone (not skipped for the others: it does not concern them).
    if (mode === 'password-only') {
      it('refuses an application that demands a second factor (acr_values), which cannot be met without a seat', async () => {
        const signIn = await SignIn.start(await passgate.rp(), undefined, { acr_values: ACR_MFA });
        await signIn.password('nina');
        expect(signIn.asksSecondFactor).toBe(false);
        expect(signIn.page.status).toBe(403);
        expect(signIn.page.body).toContain('Your account has no licence to sign in here.');
      });
    }
  },
);
