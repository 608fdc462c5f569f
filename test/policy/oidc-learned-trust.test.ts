import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { BACKENDS } from '../support/databases.js';
import { ACR_MFA, ACR_PASSWORD, type PolicyServer, SignIn, startPolicyServer } from './support.js';

const NETWORK = '127.0.0.0/24';

describe.each(BACKENDS)('learned trusted networks at the OIDC door (%s)', (backend) => {
  let passgate: PolicyServer;
  let tina: User;
  let lena: User;
  let nora: User;

  beforeAll(async () => {
    passgate = await startPolicyServer({
      backend,
      config: {
        policies: {
          requireMfa: true,
          learning: { enabled: true, successes: 2, withinDays: 30, trustDays: 30 },
          authentication: {
            'lan-password': {
              when: { groups: ['lan'], networks: ['127.0.0.0/8'] },
              outcome: { action: 'allow' },
            },
          },
        },
      },
    });
    tina = await passgate.addTotpUser('tina');
    lena = await passgate.addTotpUser('lena', { groups: ['lan'] });
    nora = await passgate.addTotpUser('nora');
  });
  afterAll(() => passgate?.close());

  /** A sign-in from a new browser (no session) that answers the TOTP when it is asked. */
  async function signIn(username: string, extra: Record<string, string> = {}) {
    const flow = await SignIn.start(await passgate.rp(), undefined, extra);
    await flow.password(username);
    const askedMfa = flow.asksSecondFactor;
    if (askedMfa) await flow.code(passgate.totp());
    return { askedMfa, flow };
  }

  it('skips MFA from a network after 2 MFA logins from it, and asks again once it is revoked', async () => {
    for (const round of [1, 2]) {
      const { askedMfa, flow } = await signIn('tina');
      expect(askedMfa, `MFA login ${round}`).toBe(true);
      expect((await flow.claims()).acr).toBe(ACR_MFA);
    }
    const [second] = await passgate.logins('tina');
    expect(second!.details).toMatchObject({ rule: 'default', method: 'totp', learnedNetwork: NETWORK });
    expect(await passgate.core.learnedTrust.list(tina.id)).toEqual([
      expect.objectContaining({ network: NETWORK, state: 'trusted', successes: 2 }),
    ]);

    const trusted = await signIn('tina');
    expect(trusted.askedMfa).toBe(false);
    expect(await trusted.flow.claims()).toMatchObject({ acr: ACR_PASSWORD, amr: ['pwd'] });
    expect((await passgate.logins('tina'))[0]).toMatchObject({
      outcome: 'success',
      address: '127.0.0.1',
      details: { rule: 'default:learned-trust', action: 'allow', trustedAddress: true, method: null },
    });

    expect(await passgate.core.learnedTrust.revoke(tina.id)).toBe(1);
    const revoked = await signIn('tina');
    expect(revoked.askedMfa).toBe(true);
    expect((await revoked.flow.claims()).acr).toBe(ACR_MFA);
    expect((await passgate.logins('tina'))[0]!.details).toMatchObject({
      rule: 'default',
      trustedAddress: false,
    });
  });

  it('learns nothing where a rule already allows the password alone, not even from step-up MFAs', async () => {
    for (let i = 0; i < 2; i++) {
      const stepUp = await signIn('lena', { acr_values: ACR_MFA });
      expect(stepUp.askedMfa).toBe(true);
      expect((await stepUp.flow.claims()).acr).toBe(ACR_MFA);
    }
    const plain = await signIn('lena');
    expect(plain.askedMfa).toBe(false);
    await plain.flow.claims();
    expect(await passgate.core.learnedTrust.list(lena.id)).toEqual([]);
    const events = await passgate.logins('lena');
    expect(events.map((e) => e.details.rule)).toEqual(['lan-password', 'lan-password', 'lan-password']);
    expect(events.map((e) => e.details.stepUp ?? null)).toEqual([null, 'acr_values', 'acr_values']);
    expect(events.some((e) => 'learnedNetwork' in e.details)).toBe(false);
  });

  it('never lets a learned network stand in for MFA of a user who has no second factor left', async () => {
    for (let i = 0; i < 2; i++) expect((await signIn('nora')).askedMfa).toBe(true);
    expect((await passgate.core.learnedTrust.list(nora.id))[0]).toMatchObject({ state: 'trusted' });
    for (const token of await passgate.core.tokens.listByUser(nora.id)) {
      await passgate.core.tokens.remove(token.id);
    }
    const { askedMfa, flow } = await signIn('nora');
    expect(askedMfa).toBe(false);
    expect(flow.callback).toBeUndefined();
    expect(flow.page.status).toBe(403);
    expect(flow.page.body).toContain('You have no second factor that can be used here.');
  });
});
