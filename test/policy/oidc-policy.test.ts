import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { ACR_MFA, ACR_PASSWORD, type PolicyServer, SignIn, startPolicyServer } from './support.js';

const GERMANY = '194.25.2.129';
const NETHERLANDS = '193.0.6.139';

/** A browser behind the trusted proxy (127.0.0.1) that forwards for `address`. */
const from = (address: string, headers: Record<string, string> = {}) =>
  new Browser({ 'x-forwarded-for': address, ...headers });

describe.each(BACKENDS)('the outcomes of the Authentication Policy at the OIDC door (%s)', (backend) => {
  let passgate: PolicyServer;

  beforeAll(async () => {
    passgate = await startPolicyServer({
      backend,
      config: {
        server: { trustedProxies: ['127.0.0.1/32'] },
        policies: {
          authentication: {
            'no-germany': {
              when: { countries: ['DE'] },
              outcome: { action: 'deny', message: 'ACCESS_DENIED_LOCATION' },
            },
            'no-contractors': {
              when: { groups: ['contractors'] },
              outcome: { action: 'deny', message: 'ACCESS_DENIED_CONTRACTORS' },
            },
            'field-staff-sms': {
              when: { groups: ['field-staff'] },
              outcome: { action: 'mfa', methods: ['sms'] },
            },
            'office-password': {
              when: { networks: ['127.0.0.0/8', '::1/128'] },
              outcome: { action: 'allow' },
            },
          },
        },
      },
    });
    await passgate.addTotpUser('tina');
    await passgate.addTotpUser('carl', { groups: ['Contractors'] });
    await passgate.addTotpUser('fred', { groups: ['field-staff'], mobile: '+33612345642' });
  });
  afterAll(() => passgate?.close());

  it('refuses a login a rule denies: 403, the translated message of its key, and a denied login event', async () => {
    const denied = await SignIn.start(await passgate.rp(), from(GERMANY));
    await denied.password('tina');
    expect(denied.callback).toBeUndefined();
    expect(denied.asksSecondFactor).toBe(false);
    expect(denied.page.status).toBe(403);
    expect(denied.page.body).toContain('Sign-in from your current location is not allowed.');

    const [event] = await passgate.logins('tina');
    expect(event).toMatchObject({
      outcome: 'denied',
      reason: 'ACCESS_DENIED_LOCATION',
      address: GERMANY,
      details: { rule: 'no-germany', action: 'deny', country: 'DE', door: 'oidc', application: 'test-app' },
    });

    const french = await SignIn.start(await passgate.rp(), from(GERMANY, { 'accept-language': 'fr' }));
    await french.password('tina');
    expect(french.page.status).toBe(403);
    expect(french.page.body).toContain('La connexion depuis votre emplacement actuel n’est pas autorisée');
  });

  it('shows the default text for a message key that has no translation', async () => {
    const denied = await SignIn.start(await passgate.rp());
    await denied.password('carl');
    expect(denied.page.status).toBe(403);
    expect(denied.page.body).toContain('Access is not allowed. Contact your administrator.');
    expect(denied.page.body).not.toContain('ACCESS_DENIED_CONTRACTORS');
    expect((await passgate.logins('carl'))[0]).toMatchObject({
      outcome: 'denied',
      reason: 'ACCESS_DENIED_CONTRACTORS',
      details: { rule: 'no-contractors' },
    });
  });

  it('lets the password alone through where a rule allows it, with the password ACR', async () => {
    const allowed = await SignIn.start(await passgate.rp());
    await allowed.password('tina');
    expect(allowed.asksSecondFactor).toBe(false);
    expect(await allowed.claims()).toMatchObject({ acr: ACR_PASSWORD, amr: ['pwd'] });
    expect((await passgate.logins('tina'))[0]).toMatchObject({
      outcome: 'success',
      address: '127.0.0.1',
      details: { rule: 'office-password', action: 'allow', offered: [], method: null },
    });
  });

  it('offers only the methods of an mfa rule, and records them', async () => {
    const signIn = await SignIn.start(await passgate.rp(), from(NETHERLANDS));
    await signIn.password('fred');
    expect(signIn.asksSecondFactor).toBe(true);
    // fred has a TOTP token too, but the rule allows SMS only.
    expect(signIn.offered).toEqual(['sms']);
    expect(signIn.page.body).toContain('We sent a passcode by SMS');
    const sms = passgate
      .outbox()
      .filter((m) => m.channel === 'sms' && m.to === '+33612345642')
      .at(-1)!;
    await signIn.code(/is (\d{8})\./.exec(sms.text)![1]!);
    expect(await signIn.claims()).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'sms', 'mfa'] });
    expect((await passgate.logins('fred'))[0]!.details).toMatchObject({
      rule: 'field-staff-sms',
      action: 'mfa',
      methods: ['sms'],
      offered: ['sms'],
      method: 'sms',
    });
  });

  it('records the context, rule, action, offered methods and the method used of a completed login', async () => {
    const signIn = await SignIn.start(await passgate.rp(), from(NETHERLANDS));
    await signIn.password('tina');
    expect(signIn.offered).toEqual(['totp']);
    await signIn.code(passgate.totp());
    expect((await signIn.claims()).acr).toBe(ACR_MFA);
    const [event] = await passgate.logins('tina');
    expect(event).toMatchObject({
      type: 'login',
      outcome: 'success',
      username: 'tina',
      address: NETHERLANDS,
      details: {
        door: 'oidc',
        application: 'test-app',
        country: 'NL',
        rule: 'default',
        action: 'mfa',
        offered: ['totp'],
        method: 'totp',
        trustedAddress: false,
        newCountry: true,
        newDevice: true,
      },
    });
  });
});
