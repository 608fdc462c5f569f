import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { Browser, type Exchange, formField } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { discover, signInWithPassword } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const SECRET = Buffer.from('12345678901234567890');

/** A sign-in that stops wherever the hosted pages stop: the callback, or a page to answer. */
async function begin(config: client.Configuration, username: string, browser = new Browser()) {
  return signInWithPassword(config, username, PASSWORD, { scope: 'openid profile', browser });
}

/** Posts a form of the second-factor page and follows to the application or the next page. */
async function answer(browser: Browser, page: Exchange, fields: Record<string, string>) {
  const action = /action="(\/login\/[\w-]+\/mfa)"/.exec(page.body)![1]!;
  return browser.follow(
    new URL(action, page.url).toString(),
    { form: { _csrf: formField(page.body, '_csrf')!, action: 'verify', ...fields } },
    (location) => location.startsWith(REDIRECT),
  );
}

async function tokensOf(config: client.Configuration, callback: string, verifier: string) {
  return client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier });
}

describe.each(BACKENDS)('the hosted login asks for the second factor (%s)', (backend) => {
  let passgate: TestServer;
  let config: client.Configuration;

  beforeAll(async () => {
    passgate = await startTestServer({ backend });
    config = await discover(passgate.url);
    await passgate.addUser('nofactor', PASSWORD);
    const totp = await passgate.addUser('tina', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: totp.id, label: 'tina', type: 'totp', secret: SECRET },
      'Passgate',
    );
    await passgate.addUser('sam', PASSWORD, { mobile: '+33612345642' });
  });
  afterAll(() => passgate?.close());

  const outbox = () => {
    const folder = path.join(passgate.dataDir, 'outbox');
    return readdirSync(folder)
      .sort()
      .map(
        (f) =>
          JSON.parse(readFileSync(path.join(folder, f), 'utf8')) as {
            channel: string;
            text: string;
            spoken?: string;
          },
      );
  };

  it('lets a user without a second factor in with the password alone', async () => {
    const { callback, verifier } = await begin(config, 'nofactor');
    expect(callback).toBeDefined();
    expect((await tokensOf(config, callback!, verifier)).claims()!.amr).toEqual(['pwd']);
  });

  it('asks a TOTP user for the code, refuses a wrong one, and puts otp and mfa in amr', async () => {
    const { browser, page, callback, verifier } = await begin(config, 'tina');
    expect(callback).toBeUndefined();
    expect(page.url).toMatch(/\/login\/[\w-]+\/mfa$/);
    expect(page.body).toContain('Enter the code from your authenticator app');
    // The kind of token is named in the page's language, never by the engine's English title.
    expect(page.body).not.toContain('Time-based one-time password');
    const wrong = await answer(browser, page, { code: '000000' });
    expect(wrong.last.status).toBe(401);
    expect(wrong.last.body).toContain('The code is not correct.');
    const code = totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    const done = await answer(browser, wrong.last, { code });
    expect(done.location).toBeDefined();
    const claims = (await tokensOf(config, done.location!, verifier)).claims()!;
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('sends an SMS passcode to a user with a mobile number and accepts it once', async () => {
    const { browser, page, verifier } = await begin(config, 'sam');
    expect(page.body).toContain('We sent a passcode by SMS to +33 6 •• •• •• 42.');
    const sms = outbox()
      .filter((m) => m.channel === 'sms')
      .at(-1)!;
    const code = /is (\d{8})\./.exec(sms.text)![1]!;
    const done = await answer(browser, page, { code });
    const claims = (await tokensOf(config, done.location!, verifier)).claims()!;
    expect(claims.amr).toEqual(['pwd', 'sms', 'mfa']);
    // The step is over and the passcode spent: the old page cannot be used again.
    const replay = await answer(browser, page, { code });
    expect(replay.last.status).toBe(400);
  });

  it('does not accept a challenge from another sign-in', async () => {
    const first = await begin(config, 'tina');
    const second = await begin(config, 'sam');
    // The second browser's challenge cookie is bound to its own login page.
    const cookies = await second.browser.jar.getCookies(second.page.url);
    const mfa = cookies.find((c) => c.key === 'passgate.mfa')!;
    const action = /action="(\/login\/[\w-]+\/mfa)"/.exec(first.page.body)![1]!;
    await first.browser.jar.setCookie(
      `passgate.mfa=${mfa.value}; Path=${action.replace(/\/mfa$/, '')}`,
      first.page.url,
    );
    const forged = await answer(first.browser, first.page, { code: '12345678' });
    expect(forged.last.status).toBe(400);
    expect(forged.last.body).toContain('data-code="MFA_CHALLENGE_EXPIRED"');
  });
});

describe('policies.requireMfa', () => {
  it('refuses a user with no second factor when a second factor is required for everyone', async () => {
    const passgate = await startTestServer({ config: { policies: { requireMfa: true } } });
    try {
      await passgate.addUser('nofactor', PASSWORD);
      const { page, callback } = await begin(await discover(passgate.url), 'nofactor');
      expect(callback).toBeUndefined();
      expect(page.status).toBe(403);
      expect(page.body).toContain('You have no second factor that can be used here.');
    } finally {
      await passgate.close();
    }
  });
});
