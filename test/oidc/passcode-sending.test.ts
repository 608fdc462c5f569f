import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DEFAULT_PASSCODE_POLICY } from '../../src/policy/passcode-policy.js';
import type { startSmsc } from '../dispatch/smsc.js';
import { Browser, type Exchange, formField } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { discover, signInWithPassword } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';

const PASSWORD = 'correct horse battery';
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const LIMIT = { maxPerUser: 3, windowSeconds: 600 };
const errorsOf = (language: string) =>
  (
    JSON.parse(readFileSync(path.join(PACKAGE_ROOT, `locales/${language}/common.json`), 'utf8')) as {
      errors: Record<string, string>;
    }
  ).errors;

/** ejs escapes the text of a page; this is what a message looks like in the HTML. */
const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');

describe.each(BACKENDS)(
  'passcodes sent by SMS through a real SMPP peer, sign-in after sign-in (%s)',
  (backend) => {
    let smsc: Awaited<ReturnType<typeof startSmsc>>;
    let passgate: TestServer;
    let config: client.Configuration;
    /** The server's clock runs this far ahead of the real one. */
    let skew = 0;

    beforeAll(async () => {
      smsc = await startGatewaySmsc();
      passgate = await startTestServer({
        backend,
        clock: () => Date.now() + skew,
        config: {
          dispatch: {
            gateways: [smppGateway(smsc)],
          },
          mfa: { passcodeLimit: LIMIT },
        },
      });
      config = await discover(passgate.url);
    });
    afterAll(async () => {
      await passgate?.close();
      await smsc?.close();
    });

    /** The SMS the SMSC received for a number, oldest first, with their passcodes. */
    const smsTo = (mobile: string) =>
      smsc.state.submits
        .filter((s) => s.destination.replace(/^\+/, '') === mobile.replace(/^\+/, ''))
        .map((s) => ({ ...s, code: /\b(\d{8})\b/.exec(s.text)?.[1] ?? '' }));

    /** An application's sign-in up to the second-factor page: password typed, page shown. */
    const signIn = async (username: string, browser = new Browser()) => {
      const { verifier, page } = await signInWithPassword(config, username, PASSWORD, { browser });
      expect(page.url).toMatch(/\/mfa$/);
      return { browser, verifier, page };
    };

    /** Posts a form of the second-factor page: a code to verify, or a channel to send on. */
    const post = (browser: Browser, page: Exchange, fields: Record<string, string>) =>
      browser.follow(
        new URL(/action="(\/login\/[\w-]+\/mfa)"/.exec(page.body)![1]!, page.url).toString(),
        { form: { _csrf: formField(page.body, '_csrf')!, action: 'verify', ...fields } },
        (location) => location.startsWith(REDIRECT),
      );

    const smsToken = (page: Exchange) =>
      /<li data-type="sms"[^>]*>[\s\S]*?name="token" value="([^"]+)"/.exec(page.body)![1]!;

    it('sends a new passcode to a second sign-in right after the first, and keeps the cool-down for resends', async () => {
      const mobile = '+33612345601';
      await passgate.addUser('sam', PASSWORD, { mobile });

      // First application: the SMS arrives and signs the user in.
      const first = await signIn('sam');
      expect(first.page.body).toContain('We sent a passcode by SMS to +33 6 •• •• •• 01.');
      expect(smsTo(mobile)).toHaveLength(1);
      const done = await post(first.browser, first.page, { code: smsTo(mobile)[0]!.code });
      expect(done.location).toBeDefined();

      // A second application a few seconds later (a new browser, a VPN): a new passcode at once.
      const second = await signIn('sam');
      expect(second.page.body).toContain('We sent a passcode by SMS to +33 6 •• •• •• 01.');
      expect(second.page.body).not.toContain('data-code="MFA_RESEND_TOO_SOON"');
      expect(smsTo(mobile)).toHaveLength(2);
      const code = smsTo(mobile)[1]!.code;
      expect(code).not.toBe(smsTo(mobile)[0]!.code);

      // Within this sign-in, asking again at once is still refused, with the reason, and sends nothing.
      const resend = await post(second.browser, second.page, {
        action: 'send',
        token: smsToken(second.page),
      });
      expect(resend.last.status).toBe(429);
      expect(resend.last.body).toContain('id="error-summary"');
      expect(resend.last.body).toContain(escaped(errorsOf('en').MFA_RESEND_TOO_SOON!));
      expect(smsTo(mobile)).toHaveLength(2);

      const finished = await post(second.browser, resend.last, { code });
      const tokens = await client.authorizationCodeGrant(config, new URL(finished.location!), {
        pkceCodeVerifier: second.verifier,
      });
      expect(tokens.claims()!.amr).toEqual(['pwd', 'sms', 'mfa']);
    });

    it('stops sending after mfa.passcodeLimit passcodes to one user, says what to do in the user’s language, and audits it', async () => {
      const mobile = '+33612345602';
      const lena = await passgate.addUser('lena', PASSWORD, { mobile });
      for (let i = 0; i < LIMIT.maxPerUser; i++) await signIn('lena');
      expect(smsTo(mobile)).toHaveLength(LIMIT.maxPerUser);

      const refused = await signIn('lena');
      expect(refused.page.status).toBe(200);
      expect(refused.page.body).toContain('id="send-error" data-code="MFA_PASSCODE_LIMIT"');
      expect(refused.page.body).toContain(escaped(errorsOf('en').MFA_PASSCODE_LIMIT!));
      expect(refused.page.body).not.toContain('id="sent"');
      expect(smsTo(mobile)).toHaveLength(LIMIT.maxPerUser);
      // Asking on the page again: the same answer, nothing sent.
      const again = await post(refused.browser, refused.page, {
        action: 'send',
        token: smsToken(refused.page),
      });
      expect(again.last.status).toBe(429);
      expect(again.last.body).toContain('id="error-summary"');
      expect(again.last.body).toContain(escaped(errorsOf('en').MFA_PASSCODE_LIMIT!));
      expect(smsTo(mobile)).toHaveLength(LIMIT.maxPerUser);

      // A browser in French reads it in French.
      const french = await signIn('lena', new Browser({ 'accept-language': 'fr' }));
      expect(french.page.body).toContain(escaped(errorsOf('fr').MFA_PASSCODE_LIMIT!));

      const denials = (await passgate.core.audit.recent({ type: 'passcode.send', userId: lena.id })).filter(
        (e) => e.outcome === 'denied',
      );
      expect(denials).toHaveLength(3);
      expect(denials[0]).toMatchObject({
        reason: 'MFA_PASSCODE_LIMIT',
        username: 'lena',
        details: { channel: 'sms', destination: '+33 6 •• •• •• 02', sent: 3, ...LIMIT },
      });
      expect(JSON.stringify(denials)).not.toContain('612345602');

      // The limit is the user's own: another user is sent passcodes meanwhile.
      await passgate.addUser('omar', PASSWORD, { mobile: '+33612345603' });
      expect((await signIn('omar')).page.body).toContain('id="sent"');
      expect(smsTo('+33612345603')).toHaveLength(1);

      // Once the window has passed, lena is sent a passcode again, and it works.
      skew += (LIMIT.windowSeconds + DEFAULT_PASSCODE_POLICY.resendAfterSeconds) * 1000;
      const later = await signIn('lena');
      expect(later.page.body).toContain('id="sent"');
      expect(smsTo(mobile)).toHaveLength(LIMIT.maxPerUser + 1);
      const done = await post(later.browser, later.page, { code: smsTo(mobile).at(-1)!.code });
      expect(done.location).toBeDefined();
    });
  },
);
