import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { TEST_CLIENT } from '../support/server.js';
import { ACR_MFA, ACR_PASSWORD, type PolicyServer, SignIn, startPolicyServer } from './support.js';

// The backend does not matter here (the step-up logic lives in the door): SQLite only.
const client = (client_id: string, extra: Record<string, unknown> = {}) => ({
  ...TEST_CLIENT,
  client_id,
  client_secret: `${client_id}-secret-0123456789`,
  ...extra,
});

describe('step-up at the OIDC door', () => {
  let passgate: PolicyServer;
  let userId: string;

  beforeAll(async () => {
    passgate = await startPolicyServer({
      clients: [TEST_CLIENT, client('strict-app', { require_mfa: true })],
      config: {
        policies: {
          authentication: {
            'password-on-loopback': {
              when: {
                applications: ['test-app', 'strict-app'],
                networks: ['127.0.0.0/8', '::1/128'],
              },
              outcome: { action: 'allow' },
            },
          },
        },
      },
    });
    userId = (await passgate.addTotpUser('tina')).id;
  });
  afterAll(() => passgate?.close());

  /** A browser whose session has signed in to test-app with the password alone. */
  async function passwordSession() {
    const first = await SignIn.start(await passgate.rp());
    await first.password('tina');
    const claims = await first.claims();
    expect(claims.acr).toBe(ACR_PASSWORD);
    expect(claims.amr).toEqual(['pwd']);
    return first.browser;
  }

  it('signs in with the password alone where a rule allows it, then acr_values=mfa goes straight to the second factor', async () => {
    const first = await SignIn.start(await passgate.rp());
    expect(first.asksPassword).toBe(true);
    await first.password('tina');
    const claims = await first.claims();
    expect(claims).toMatchObject({ sub: userId, acr: ACR_PASSWORD, amr: ['pwd'] });

    const stepUp = await SignIn.start(await passgate.rp(), first.browser, { acr_values: ACR_MFA });
    expect(stepUp.asksPassword).toBe(false);
    expect(stepUp.asksSecondFactor).toBe(true);
    expect(stepUp.offered).toEqual(['totp']);
    await stepUp.code(passgate.totp());
    const stepped = await stepUp.claims();
    expect(stepped.sub).toBe(userId);
    expect(stepped.acr).toBe(ACR_MFA);
    expect(stepped.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));

    const [login] = await passgate.logins('tina');
    expect(login!.details).toMatchObject({
      rule: 'password-on-loopback',
      action: 'mfa',
      stepUp: 'acr_values',
      method: 'totp',
    });
  });

  it('asks a second factor for a client registered with require_mfa, even where a rule allows the password', async () => {
    const strict = await passgate.rp('strict-app');
    const fresh = await SignIn.start(strict);
    await fresh.password('tina');
    expect(fresh.asksSecondFactor).toBe(true);
    await fresh.code(passgate.totp());
    expect(await fresh.claims()).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] });
    expect((await passgate.logins('tina'))[0]!.details).toMatchObject({
      application: 'strict-app',
      rule: 'password-on-loopback',
      stepUp: 'application',
    });

    // A session with the password alone: the strict client gets the second factor, no password.
    const browser = await passwordSession();
    const stepUp = await SignIn.start(strict, browser);
    expect(stepUp.asksPassword).toBe(false);
    expect(stepUp.asksSecondFactor).toBe(true);
    await stepUp.code(passgate.totp());
    expect((await stepUp.claims()).acr).toBe(ACR_MFA);
  });

  it('asks the password again with prompt=login, even after an MFA in the session', async () => {
    const browser = await passwordSession();
    const mfa = await SignIn.start(await passgate.rp(), browser, { acr_values: ACR_MFA });
    await mfa.code(passgate.totp());
    expect((await mfa.claims()).acr).toBe(ACR_MFA);

    const again = await SignIn.start(await passgate.rp(), browser, { prompt: 'login' });
    expect(again.callback).toBeUndefined();
    expect(again.asksPassword).toBe(true);
    await again.password('tina');
    expect(await again.claims()).toMatchObject({ sub: userId, acr: ACR_PASSWORD, amr: ['pwd'] });
  });
});

describe('the MFA of a browser session (policies.mfaSessionMinutes)', () => {
  let passgate: PolicyServer;
  let userId: string;

  beforeAll(async () => {
    passgate = await startPolicyServer({
      clients: [client('other-app'), client('third-app')],
      config: { policies: { mfaSessionMinutes: 1 } },
    });
    userId = (await passgate.addTotpUser('tina')).id;
  });
  afterAll(() => passgate?.close());

  it('lets an MFA of the session count for another application within mfaSessionMinutes, and asks again after', async () => {
    const browser = new Browser();
    // A server of its own: its clock must not have been moved by other tests' TOTP codes, since
    // the session's login time comes from oidc-provider's clock and "now" from Passgate's.
    const first = await SignIn.start(await passgate.rp('other-app'), browser);
    await first.password('tina');
    expect(first.asksSecondFactor).toBe(true); // no rule for other-app: the default wants the TOTP
    await first.code(passgate.totp());
    expect((await first.claims()).acr).toBe(ACR_MFA);
    const mfaLogins = (await passgate.logins('tina')).length;

    // Within the minute: no page at all, and the session's MFA is what the token says.
    const third = await passgate.rp('third-app');
    const within = await SignIn.start(third, browser);
    expect(within.callback).toBeDefined();
    expect(await within.claims()).toMatchObject({ sub: userId, acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] });
    expect((await passgate.logins('tina')).length).toBe(mfaLogins); // nothing was asked, nothing logged

    // After it: the second factor again (but not the password).
    passgate.clock.advance(61_000);
    const after = await SignIn.start(third, browser);
    expect(after.callback).toBeUndefined();
    expect(after.asksPassword).toBe(false);
    expect(after.asksSecondFactor).toBe(true);
    await after.code(passgate.totp());
    expect(await after.claims()).toMatchObject({ acr: ACR_MFA });
    expect((await passgate.logins('tina'))[0]!.details).toMatchObject({
      application: 'third-app',
      rule: 'default',
      action: 'mfa',
    });
  });
});
