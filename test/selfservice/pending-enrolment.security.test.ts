import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { parseSecret } from '../../src/tokens/secrets.js';
import { ACR_MFA, type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';
import { SelfServiceBrowser } from './support.js';

/** The code an authenticator app with this base32 secret shows at the server's (shifted) time. */
const codeOf = (server: PolicyServer, secret: string, shift = 0) =>
  totpCode(parseSecret(secret), timeStep(server.clock() + shift, 30), 30, { algorithm: 'SHA1', digits: 6 });

/** The base32 secret a page shows, if any. */
const secretOn = (html: string) =>
  /<code id="secret"[^>]*>([^<]+)<\/code>/.exec(html)?.[1]?.replace(/\s+/g, '');

describe('self-service: a pending authenticator belongs to the session that started it', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
    // As in the attack: from this network, the self-service site lets the password alone through.
    await new PolicyStore(server.core.policies).put('authentication', 'self-service-on-site', {
      when: { networks: ['127.0.0.1', '::1'], applications: ['selfservice'] },
      outcome: { action: 'allow' },
    });
  });
  afterAll(() => server?.close());

  /** The user: signed in (password alone by the rule), stepped up with TOTP, adding a second authenticator. */
  async function userAddingAuthenticator(username: string) {
    await server.addTotpUser(username);
    const user = new SelfServiceBrowser(server);
    await user.signIn(username);
    await user.post('/selfservice/step-up');
    await user.post(user.formAction(), { action: 'verify', code: server.totp() });
    expect(user.atHome).toBe(true);
    const tokenId = await user.enrol();
    expect(tokenId).toMatch(/^TOTP/);
    return { user, tokenId: tokenId!, secret: user.shownSecret };
  }

  it('never shows the secret to a password-only session, so it cannot become the attacker’s second factor', async () => {
    const { user, tokenId, secret } = await userAddingAuthenticator('uma');

    // The attacker has the password only, and signs in from the network the rule lets through.
    const attacker = new SelfServiceBrowser(server);
    await attacker.signIn('uma');
    expect(attacker.atHome).toBe(true);
    expect(attacker.page.body).not.toContain(`/selfservice/tokens/${tokenId}/confirm`);
    const confirmPage = await attacker.open(`/selfservice/tokens/${tokenId}/confirm`);
    expect(confirmPage.status).toBe(403);
    expect(confirmPage.body).toContain('data-code="ENROL_NEEDS_MFA"');
    const leaked = secretOn(confirmPage.body);
    expect(leaked).toBeUndefined();
    expect(confirmPage.body).not.toContain(secret.slice(0, 8));
    expect(confirmPage.body).not.toMatch(/<img id="qr"/);

    // The user confirms; a code from whatever the attacker copied gives no second factor.
    await user.post(user.formAction(), { code: codeOf(server, secret) });
    expect(user.page.body).toContain('data-done="added"');
    const signIn = await SignIn.start(await server.rp(), undefined, { acr_values: ACR_MFA });
    await signIn.password('uma');
    expect(signIn.asksSecondFactor).toBe(true);
    await signIn.code(leaked ? codeOf(server, leaked, 60_000) : '000000');
    expect(signIn.callback).toBeUndefined();
  });

  it('refuses to show or confirm it in another session of the same user, even one signed in with MFA', async () => {
    const { user, tokenId, secret } = await userAddingAuthenticator('vera');
    const other = new SelfServiceBrowser(server);
    await other.signIn('vera');
    await other.post('/selfservice/step-up');
    await other.post(other.formAction(), { action: 'verify', code: server.totp() });
    expect(other.atHome).toBe(true);
    expect(other.page.body).toContain(`data-token="${tokenId}"`);
    expect(other.page.body).not.toContain(`/selfservice/tokens/${tokenId}/confirm`);

    const shown = await other.open(`/selfservice/tokens/${tokenId}/confirm`);
    expect(shown.status).toBe(410);
    expect(shown.body).toContain('data-code="ENROL_EXPIRED"');
    expect(secretOn(shown.body)).toBeUndefined();
    await other.post(`/selfservice/tokens/${tokenId}/confirm`, { code: codeOf(server, secret) });
    expect(other.page.status).toBe(410);
    expect((await server.core.tokens.findById(tokenId))?.status).toBe('pending');

    // The session that started it still finishes it.
    await user.open(`/selfservice/tokens/${tokenId}/confirm`);
    expect(secretOn(user.page.body)).toBe(secret);
    await user.post(user.formAction(), { code: codeOf(server, secret) });
    expect(user.page.body).toContain('data-done="added"');
    expect((await server.core.tokens.findById(tokenId))?.status).toBe('active');
  });

  it('expires an unconfirmed authenticator after selfservice.pendingEnrolmentMinutes, and the clean-up job removes it', async () => {
    const { user, tokenId, secret } = await userAddingAuthenticator('wade');
    server.clock.advance((server.config.selfservice.pendingEnrolmentMinutes + 1) * 60_000);
    await user.open(`/selfservice/tokens/${tokenId}/confirm`);
    expect(user.page.status).toBe(410);
    expect(user.page.body).toContain('data-code="ENROL_EXPIRED"');
    expect(secretOn(user.page.body)).toBeUndefined();
    await user.post(`/selfservice/tokens/${tokenId}/confirm`, { code: codeOf(server, secret) });
    expect(user.page.status).toBe(410);
    expect((await server.core.tokens.findById(tokenId))?.status).toBe('pending');

    await server.server.services()!.cleanUp();
    expect(await server.core.tokens.findById(tokenId)).toBeUndefined();
    await user.open('/selfservice');
    expect(user.page.body).not.toContain(`data-token="${tokenId}"`);
  });
});
