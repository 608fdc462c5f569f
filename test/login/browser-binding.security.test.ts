import { randomBytes } from 'node:crypto';
import type { Cookie } from 'tough-cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, type PolicyServer } from '../policy/support.js';
import { authnRequest, startSamlServer } from '../saml/sso-support.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';

/** How a door's sign-in starts and how its end shows, for the tests every door shares. */
interface DoorUnderTest {
  door: string;
  cookie: string;
  lifetimeMs: () => number;
  /** Starts a sign-in in `browser`; the hosted login's password page. */
  start(browser: Browser): Promise<Exchange>;
  /** Whether `page` is the door's answer to a sign-in that went through. */
  succeeded(page: Exchange): boolean;
}

describe('hosted login: a sign-in in progress is bound to the browser that started it (every door)', () => {
  let passgate: PolicyServer;
  beforeAll(async () => {
    passgate = await startSamlServer();
    await passgate.addTotpUser('bea', { email: 'bea@example.com' });
  }, 60_000);
  afterAll(() => passgate?.close());

  let requests = 0;
  const doors: DoorUnderTest[] = [
    {
      door: 'saml',
      cookie: 'passgate_saml_flow',
      lifetimeMs: () => passgate.config.saml.requestLifetimeSeconds * 1000,
      start: async (browser) => {
        // The request's instant on the server's clock: the tests move it forward.
        const xml = authnRequest({
          id: `_binding${++requests}`,
          issuer: 'google.com/a/example.com',
          destination: `${passgate.url}/saml/sso`,
          acs: 'https://www.google.com/a/example.com/acs',
          instant: passgate.clock(),
        });
        const form = { SAMLRequest: Buffer.from(xml).toString('base64') };
        return (await browser.follow(`${passgate.url}/saml/sso`, { form })).last;
      },
      succeeded: (page) => page.status === 200 && formField(page.body, 'SAMLResponse') !== undefined,
    },
    {
      door: 'selfservice',
      cookie: 'passgate.selfservice.flow',
      lifetimeMs: () => 15 * 60_000,
      start: async (browser) => (await browser.follow(`${passgate.url}/selfservice`)).last,
      succeeded: (page) =>
        page.status === 200 &&
        new URL(page.url).pathname === '/selfservice' &&
        page.body.includes('id="tokens-title"'),
    },
  ];

  /** The uid of the sign-in whose page is showing. */
  const uidOf = (page: Exchange) => {
    const uid = /\/login\/([\w-]+)/.exec(page.url)?.[1];
    if (!uid) throw new Error(`not on a login page: ${page.status} ${page.url}`);
    return uid;
  };

  /** The password, then a TOTP code, from the password page `page`; the last page. */
  async function complete(browser: Browser, page: Exchange): Promise<Exchange> {
    const password = (
      await browser.follow(formAction(page.body, page.url), {
        form: { _csrf: formField(page.body, '_csrf') ?? '', username: 'bea', password: PASSWORD },
      })
    ).last;
    expect(password.body).toContain('name="code"');
    return (
      await browser.follow(formAction(password.body, password.url), {
        form: { _csrf: formField(password.body, '_csrf') ?? '', action: 'verify', code: passgate.totp() },
      })
    ).last;
  }

  /** Asserts the page is the hosted login's "this sign-in has expired" refusal. */
  function expectRefused(page: Exchange) {
    expect(page.status).toBe(400);
    expect(page.body).toContain('data-code="LOGIN_EXPIRED"');
    expect(page.body).not.toContain('name="password"');
  }

  /** The stored sign-in `uid`, if still there. */
  const stored = (uid: string) =>
    passgate.core.database.db
      .selectFrom('login_flows')
      .select(['door', 'secret_hash', 'completed_at'])
      .where('uid', '=', uid)
      .executeTakeFirst();

  describe.each(doors.map((d) => [d.door, d] as const))('%s', (_name, door) => {
    it('refuses the flow cookie replayed after the sign-in completed, in the same browser and in another', async () => {
      const browser = new Browser();
      const page = await door.start(browser);
      const uid = uidOf(page);
      const loginUrl = `${passgate.url}/login/${uid}`;
      const copied = await browser.jar.getCookies(loginUrl);
      const flowCookie = copied.find((c) => c.key === door.cookie)!;
      expect(flowCookie.httpOnly).toBe(true);
      expect(flowCookie.sameSite).toBe('lax');
      expect(flowCookie.path).toBe(`/login/${uid}`);

      expect(door.succeeded(await complete(browser, page))).toBe(true);
      expect((await browser.jar.getCookies(loginUrl)).some((c) => c.key === door.cookie)).toBe(false);
      expect((await stored(uid))?.completed_at).toEqual(expect.any(Number));

      // The same browser puts the copy back, as a replaying attacker would.
      await browser.jar.setCookie(flowCookie.clone()!, loginUrl);
      expectRefused(await browser.fetch(loginUrl));
      // Another browser with every cookie of the sign-in, posting its password form again.
      const thief = await browserWith(copied, loginUrl);
      expectRefused(await thief.fetch(loginUrl));
      const replayed = await thief.fetch(formAction(page.body, page.url), {
        form: { _csrf: formField(page.body, '_csrf') ?? '', username: 'bea', password: PASSWORD },
      });
      expectRefused(replayed);
    });

    it('lets no other browser continue the sign-in: no cookie, a wrong one, or every cookie but the flow one', async () => {
      const owner = new Browser();
      const page = await door.start(owner);
      const uid = uidOf(page);
      const loginUrl = `${passgate.url}/login/${uid}`;
      expect((await stored(uid))?.door).toBe(door.door);

      expectRefused(await new Browser().fetch(loginUrl));

      const guesser = new Browser();
      const guess = randomBytes(32).toString('base64url');
      await guesser.jar.setCookie(`${door.cookie}=${guess}; Path=/login/${uid}`, loginUrl);
      expectRefused(await guesser.fetch(loginUrl));

      const others = (await owner.jar.getCookies(loginUrl)).filter((c) => c.key !== door.cookie);
      expect(others.map((c) => c.key)).toContain('passgate.csrf');
      const intruder = await browserWith(others, loginUrl);
      expectRefused(
        await intruder.fetch(formAction(page.body, page.url), {
          form: { _csrf: formField(page.body, '_csrf') ?? '', username: 'bea', password: PASSWORD },
        }),
      );

      // The owner's sign-in is untouched by all of it.
      expect(door.succeeded(await complete(owner, page))).toBe(true);
    });

    it('refuses an expired sign-in, and the clean-up job deletes it', async () => {
      const browser = new Browser();
      const page = await door.start(browser);
      const uid = uidOf(page);
      const loginUrl = `${passgate.url}/login/${uid}`;
      expect((await browser.fetch(loginUrl)).status).toBe(200);

      passgate.clock.advance(door.lifetimeMs() + 1000);
      expectRefused(await browser.fetch(loginUrl));
      expect(await stored(uid)).toBeDefined();
      await passgate.server.services()!.cleanUp();
      expect(await stored(uid)).toBeUndefined();
    });
  });
});

/** A new browser holding copies of `cookies` (taken from `url`). */
async function browserWith(cookies: Cookie[], url: string): Promise<Browser> {
  const browser = new Browser();
  for (const cookie of cookies) await browser.jar.setCookie(cookie.clone()!, url);
  return browser;
}
