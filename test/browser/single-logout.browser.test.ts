import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { PASSWORD, type PolicyServer, startPolicyServer } from '../policy/support.js';
import { registerSp } from '../saml/generic-sp.js';
import { metadataOf } from '../saml/test-sps.js';
import { describeInBrowser, screenshot, useChromium } from '../support/chromium.js';
import { LogoutReceiver, verifyLogoutToken } from '../support/logout-receiver.js';
import { SamlSpHost } from '../support/saml-sp-host.js';
import { TEST_CLIENT } from '../support/server.js';

describeInBrowser(
  'single sign-on and single logout across a SAML SP, an OIDC client and the self-service site in Chromium',
  () => {
    const { newPage } = useChromium();
    let passgate: PolicyServer;
    let receiver: LogoutReceiver;
    let alpha: SamlSpHost;
    let tina: User;

    beforeAll(async () => {
      receiver = await new LogoutReceiver().start();
      passgate = await startPolicyServer({
        clients: [
          {
            ...TEST_CLIENT,
            client_id: 'app',
            redirect_uris: [`${receiver.url}/callback`],
            backchannel_logout_uri: `${receiver.url}/backchannel`,
            backchannel_logout_session_required: true,
          },
        ],
      });
      alpha = await new SamlSpHost('alpha', passgate.url).start();
      await registerSp(passgate, 'alpha', metadataOf(alpha.sp));
      await alpha.trustPassgate();
      tina = await passgate.addTotpUser('tina', { email: 'tina@example.com' });
    }, 60_000);
    afterAll(async () => {
      await Promise.allSettled([passgate?.close(), receiver?.close(), alpha?.close()]);
    });

    /** The password page of the hosted login, filled in and sent; then the TOTP code. */
    async function passwordAndCode(page: Page) {
      await page.waitForSelector('#password');
      await page.fill('#username', 'tina');
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit].primary');
      await page.waitForURL(/\/(mfa|selfservice|saml\/acs|callback)/);
      if (!/\/mfa$/.test(page.url())) return;
      await page.fill('#code', passgate.totp());
      await page.click('button[type=submit].primary');
    }

    /**
     * Opens the self-service site. It asks for the password even with a single sign-on session (it
     * guards the user's factors: docs/sessions.md); whether it asked.
     */
    async function openSelfService(page: Page): Promise<boolean> {
      await page.goto(`${passgate.url}/selfservice`);
      await page.waitForURL(/\/(login\/[\w-]+|selfservice)$/);
      const asked = new URL(page.url()).pathname.startsWith('/login/');
      if (asked) await passwordAndCode(page);
      await page.waitForURL(/\/selfservice$/);
      await page.waitForSelector('#signout');
      return asked;
    }

    /** An authorization request of the OIDC client; `finish` redeems the code the browser came back with. */
    async function oidcRequest() {
      const rp = await passgate.rp('app');
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(rp, {
        redirect_uri: `${receiver.url}/callback`,
        scope: 'openid profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      return {
        url: url.toString(),
        finish: async (page: Page) => {
          await page.waitForURL(`${receiver.url}/callback?**`);
          const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), {
            pkceCodeVerifier: verifier,
            expectedState: state,
          });
          return tokens.claims()!;
        },
      };
    }

    it('password and TOTP once at the SAML SP, then the OIDC client without a prompt, then the self-service site; signing out at the SP reaches the OIDC client, and both ask for the password again', async () => {
      const page = await newPage();
      await page.goto(`${alpha.url}/start`);
      await passwordAndCode(page);
      await page.waitForSelector('[data-signed-in]');
      expect(await page.textContent('h1')).toBe('Signed in to alpha as tina@example.com');
      await screenshot(page, 'sso-1-saml-sp-signed-in');

      // The OIDC client: no page at Passgate at all.
      const oidc = await oidcRequest();
      const visited: string[] = [];
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) visited.push(frame.url());
      });
      await page.goto(oidc.url);
      const claims = await oidc.finish(page);
      expect(visited.some((url) => url.includes('/login/'))).toBe(false);
      expect(claims).toMatchObject({ sub: tina.id, acr: 'urn:passgate:acr:mfa' });
      expect(claims.sid).toBeTruthy();
      await screenshot(page, 'sso-2-oidc-client-without-prompt');

      // The self-service site asks for the password again (by design), in the same session.
      expect(await openSelfService(page)).toBe(true);
      await screenshot(page, 'sso-3-selfservice');
      // Its Sessions page lists the one session, this browser's, with the applications of the journey.
      await page.click('#sessions-link');
      await page.waitForURL(/\/selfservice\/sessions$/);
      expect(await page.locator('#sessions li').count()).toBe(1);
      const applications = (await page.textContent('#sessions li[data-current="true"] .applications')) ?? '';
      expect(applications.split(', ')).toEqual(expect.arrayContaining(['alpha', 'app']));
      await screenshot(page, 'sso-3-selfservice-sessions');
      const live = await passgate.core.repositories.sessions.liveOfUser(tina.id, passgate.clock(), {
        idleMs: 3_600_000,
      });
      expect(live).toHaveLength(1);

      // Sign out at the SAML SP: its LogoutRequest, the chain, the LogoutResponse back to it.
      const before = receiver.received.tokens.length;
      await page.goto(`${alpha.url}/logout`);
      await page.waitForSelector('[data-sp-signed-out]');
      expect(await page.textContent('h1')).toBe('Signed out of alpha');
      await screenshot(page, 'sso-4-saml-sp-signed-out');
      const [token] = (await receiver.tokens(before + 1)).slice(before);
      expect(await verifyLogoutToken(token!, passgate.url, 'app')).toMatchObject({
        sid: claims.sid,
        sub: tina.id,
      });

      // The self-service site and the OIDC client ask for the password again.
      await page.goto(`${passgate.url}/selfservice`);
      await page.waitForSelector('#password');
      await screenshot(page, 'sso-5-selfservice-asks-again');
      const again = await oidcRequest();
      await page.goto(again.url);
      await page.waitForSelector('#password');
      expect(new URL(page.url()).pathname).toMatch(/^\/login\//);
    }, 120_000);

    it("the self-service site's Sign out takes the POST on (307) to /saml/logout: the SAML SP gets a LogoutRequest, then the signed-out page", async () => {
      const page = await newPage();
      await page.goto(`${alpha.url}/start`);
      await passwordAndCode(page);
      await page.waitForSelector('[data-signed-in]');
      await openSelfService(page);
      const requests = alpha.logouts.requests;
      const statuses: number[] = [];
      page.on('response', (response) => {
        if (response.url().endsWith('/selfservice/signout')) statuses.push(response.status());
      });
      await page.click('#signout');
      await page.waitForSelector('[data-signed-out]');
      expect(statuses).toEqual([307]);
      expect(alpha.logouts.requests).toBe(requests + 1);
      expect(new URL(page.url()).pathname).toBe('/saml/slo');
      await screenshot(page, 'sso-6-selfservice-signout-chain');
      await page.goto(`${passgate.url}/selfservice`);
      await page.waitForSelector('#password');
    }, 120_000);
  },
);
