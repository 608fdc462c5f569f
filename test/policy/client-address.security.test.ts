import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { TEST_CLIENT } from '../support/server.js';
import { ACR_MFA, ACR_PASSWORD, type PolicyServer, SignIn, startPolicyServer } from './support.js';

// Where a login comes from is established by the HTTP layer; the backend does not matter: SQLite.

const US = '8.8.8.8';
const NL = '193.0.6.139';
const OTHER_APP = { ...TEST_CLIENT, client_id: 'other-app', client_secret: 'other-app-secret-0123456789' };

/**
 * A server whose rules make the source address worth forging: from the US the password alone is
 * enough everywhere; on loopback, for test-app only (so that a browser can hold a password-only
 * session); anything else gets the default (the TOTP of users who have one).
 */
function startServer(trustedProxies: string[]) {
  return startPolicyServer({
    clients: [TEST_CLIENT, OTHER_APP],
    config: {
      server: { trustedProxies },
      policies: {
        authentication: {
          'us-password-only': { when: { countries: ['US'] }, outcome: { action: 'allow' } },
          'loopback-test-app': {
            when: { applications: ['test-app'], networks: ['127.0.0.0/8'] },
            outcome: { action: 'allow' },
          },
        },
      },
    },
  });
}

const forwarding = (value: string) => new Browser({ 'x-forwarded-for': value });

describe.each([
  ['no trusted proxy', []],
  ['trusted proxies that do not include the peer', ['10.0.0.0/8', '::1/128']],
])('X-Forwarded-For from an untrusted peer is ignored (%s)', (_name, proxies) => {
  let passgate: PolicyServer;

  beforeAll(async () => {
    passgate = await startServer(proxies);
    await passgate.addTotpUser('tina');
  });
  afterAll(() => passgate?.close());

  it('decides a login on the socket address, not on a forged X-Forwarded-For', async () => {
    const signIn = await SignIn.start(await passgate.rp('other-app'), forwarding(US));
    await signIn.password('tina');
    // The US rule would have let the password alone through.
    expect(signIn.asksSecondFactor).toBe(true);
    await signIn.code(passgate.totp());
    expect((await signIn.claims()).acr).toBe(ACR_MFA);
    expect((await passgate.logins('tina'))[0]).toMatchObject({
      address: '127.0.0.1',
      details: { country: null, rule: 'default', action: 'mfa' },
    });
  });

  it('does not let a forged X-Forwarded-For skip the second factor of a signed-in browser', async () => {
    const browser = forwarding(US);
    const first = await SignIn.start(await passgate.rp(), browser);
    await first.password('tina');
    expect((await first.claims()).acr).toBe(ACR_PASSWORD); // loopback-test-app
    // Another application: the session has the password only, and the browser is not in the US.
    const other = await SignIn.start(await passgate.rp('other-app'), browser);
    expect(other.callback).toBeUndefined();
    expect(other.asksSecondFactor).toBe(true);
  });
});

describe('X-Forwarded-For through a trusted proxy (127.0.0.1)', () => {
  let passgate: PolicyServer;

  beforeAll(async () => {
    passgate = await startServer(['127.0.0.1/32']);
    await passgate.addTotpUser('tina');
  });
  afterAll(() => passgate?.close());

  it('believes the hop the proxy added', async () => {
    const signIn = await SignIn.start(await passgate.rp('other-app'), forwarding(US));
    await signIn.password('tina');
    expect(await signIn.claims()).toMatchObject({ acr: ACR_PASSWORD, amr: ['pwd'] });
    expect((await passgate.logins('tina'))[0]).toMatchObject({
      address: US,
      details: { country: 'US', rule: 'us-password-only', action: 'allow' },
    });
  });

  it('uses the right-most untrusted hop: a forged left-most value does not win', async () => {
    const signIn = await SignIn.start(await passgate.rp('other-app'), forwarding(`${US}, ${NL}`));
    await signIn.password('tina');
    expect(signIn.asksSecondFactor).toBe(true);
    await signIn.code(passgate.totp());
    expect((await signIn.claims()).acr).toBe(ACR_MFA);
    expect((await passgate.logins('tina'))[0]).toMatchObject({
      address: NL,
      details: { country: 'NL', rule: 'default' },
    });
  });

  it('skips only the trusted hops', async () => {
    const signIn = await SignIn.start(await passgate.rp('other-app'), forwarding(`${US}, ${NL}, 127.0.0.1`));
    await signIn.password('tina');
    expect(signIn.asksSecondFactor).toBe(true);
    await signIn.code(passgate.totp());
    await signIn.claims();
    expect((await passgate.logins('tina'))[0]).toMatchObject({ address: NL, details: { country: 'NL' } });
  });

  it('uses the same address for the step-up of a signed-in browser', async () => {
    const session = await SignIn.start(await passgate.rp());
    await session.password('tina');
    expect((await session.claims()).acr).toBe(ACR_PASSWORD); // loopback-test-app, no proxy hop
    /** The signed-in browser's cookies, now behind the proxy forwarding for `hops`. */
    const sameSession = async (hops: string) => {
      const browser = forwarding(hops);
      for (const cookie of await session.browser.jar.getCookies(passgate.url)) {
        await browser.jar.setCookie(cookie.clone()!, passgate.url);
      }
      return browser;
    };

    const forged = await SignIn.start(await passgate.rp('other-app'), await sameSession(`${US}, ${NL}`));
    expect(forged.callback).toBeUndefined();
    expect(forged.asksSecondFactor).toBe(true);

    // Control: forwarded for the US, the session's password is enough for other-app.
    const fromUs = await SignIn.start(await passgate.rp('other-app'), await sameSession(US));
    expect(fromUs.callback).toBeDefined();
    expect((await fromUs.claims()).acr).toBe(ACR_PASSWORD);
  });
});
