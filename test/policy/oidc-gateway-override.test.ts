import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProvider } from '../dispatch/support.js';
import { Browser } from '../support/browser.js';
import { ACR_MFA, type PolicyServer, SignIn, startPolicyServer } from './support.js';

type Provider = Awaited<ReturnType<typeof startProvider>>;

const MOBILE = '+33612345642';
const smsGateway = (name: string, provider: Provider) => ({
  type: 'http' as const,
  name,
  url: `${provider.url}/sms`,
  body: { form: { to: '{to}', text: '{text}' } },
});

/** The passcode in the last message a provider received for `to`. */
function passcodeAt(provider: Provider): string {
  const form = new URLSearchParams(provider.requests.at(-1)!.body);
  expect(form.get('to')).toBe(MOBILE);
  return /(\d{8})/.exec(form.get('text')!)![1]!;
}

// Which gateway carries a passcode is decided in the engine; the backend does not matter: SQLite.
describe('a rule chooses the Load Balancing Policy, and so the gateway, of a login', () => {
  let passgate: PolicyServer;
  let europe: Provider;
  let americas: Provider;

  beforeAll(async () => {
    europe = await startProvider(() => ({ status: 200, body: '{}' }));
    americas = await startProvider(() => ({ status: 200, body: '{}' }));
    passgate = await startPolicyServer({
      config: {
        server: { trustedProxies: ['127.0.0.1/32'] },
        dispatch: { gateways: [smsGateway('europe', europe), smsGateway('americas', americas)] },
        policies: {
          loadBalancing: {
            'via-europe': { channels: ['sms'], members: [{ gateway: 'europe' }] },
            'via-americas': { channels: ['sms'], members: [{ gateway: 'americas' }] },
          },
          authentication: {
            'from-the-americas': {
              when: { continents: ['NA', 'SA'] },
              outcome: { action: 'mfa', loadBalancingPolicy: 'via-americas' },
            },
            'from-the-netherlands': {
              when: { countries: ['NL'] },
              outcome: { action: 'mfa', loadBalancingPolicy: 'via-europe' },
            },
          },
        },
      },
    });
    await passgate.addUser('sam', 'correct horse battery', { mobile: MOBILE });
  });
  afterAll(async () => {
    await passgate?.close();
    await europe?.close();
    await americas?.close();
  });

  async function smsLoginFrom(address: string) {
    passgate.clock.advance(60_000); // past the resend interval of the previous test's passcode
    const signIn = await SignIn.start(await passgate.rp(), new Browser({ 'x-forwarded-for': address }));
    await signIn.password('sam');
    expect(signIn.asksSecondFactor).toBe(true);
    expect(signIn.page.body).toContain('We sent a passcode by SMS');
    return signIn;
  }

  it('sends the passcode of a login from the US through the americas gateway', async () => {
    const before = { europe: europe.requests.length, americas: americas.requests.length };
    const signIn = await smsLoginFrom('8.8.8.8');
    expect(americas.requests.length).toBe(before.americas + 1);
    expect(europe.requests.length).toBe(before.europe);
    await signIn.code(passcodeAt(americas));
    expect(await signIn.claims()).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'sms', 'mfa'] });
    expect((await passgate.logins('sam'))[0]!.details).toMatchObject({
      country: 'US',
      rule: 'from-the-americas',
      method: 'sms',
    });
  });

  it('sends the passcode of a login from the Netherlands through the europe gateway', async () => {
    const before = { europe: europe.requests.length, americas: americas.requests.length };
    const signIn = await smsLoginFrom('193.0.6.139');
    expect(europe.requests.length).toBe(before.europe + 1);
    expect(americas.requests.length).toBe(before.americas);
    await signIn.code(passcodeAt(europe));
    expect((await signIn.claims()).acr).toBe(ACR_MFA);
    expect((await passgate.logins('sam'))[0]!.details).toMatchObject({
      country: 'NL',
      rule: 'from-the-netherlands',
    });
  });
});
