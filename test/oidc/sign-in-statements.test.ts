import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { discover, pkceRequest } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';
import {
  countStatements,
  describeStatements,
  type StatementsByExchange,
  totalStatements,
} from '../support/statements.js';

const PASSWORD = 'correct horse battery';
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const SECRET = Buffer.from('12345678901234567890');

/**
 * Statements one OIDC sign-in may send to the store, at most, on either backend: what it takes
 * today, so that a change that adds queries to the sign-in path fails here and says which. Password alone; with a TOTP second factor (page and answer included). The single
 * sign-on session a sign-in starts costs one (its row, committed with the sign-in's history and
 * with its `session.start` audit event in the one statement of the sign-in's other events), and
 * one more the client recorded in it with its `sid` (for single logout). The user's tokens are read once, for the policy and the challenge it starts. The password's throttle
 * counters cost two (charged together at once; settled together in the sign-in's batch of writes); the Authentication Policy's version is
 * asked at most once a second, so it may or may not be among them.
 */
const MAX_STATEMENTS = { password: 28, secondFactor: 40 };

/**
 * One complete code-flow sign-in through the hosted pages, each HTTP exchange made alone, with
 * the statements the server ran during each: /authorize, the login page, the password POST, the
 * second-factor page and answer (when `code` is given), the resumed authorization, /token.
 */
async function signInCounted(
  passgate: TestServer,
  config: client.Configuration,
  username: string,
  code?: () => string,
): Promise<{
  byExchange: StatementsByExchange;
  tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
}> {
  const { byExchange, counted, stop } = countStatements(passgate.core.database);
  try {
    const browser = new Browser({ accept: 'text/html' });
    const { url, verifier, state } = await pkceRequest(config, { redirectUri: REDIRECT });
    const redirected = (exchange: Exchange) => {
      const location = exchange.headers.get('location');
      if (exchange.status < 300 || exchange.status >= 400 || !location)
        throw new Error(`expected a redirect from ${exchange.url}, got ${exchange.status}`);
      return new URL(location, exchange.url).toString();
    };
    const loginUrl = redirected(await counted('authorize', () => browser.fetch(url)));
    const page = await counted('login page', () => browser.fetch(loginUrl));
    expect(page.body).toContain('name="password"');
    let next = redirected(
      await counted('password POST', () =>
        browser.fetch(formAction(page.body, page.url), {
          form: { _csrf: formField(page.body, '_csrf')!, username, password: PASSWORD },
        }),
      ),
    );
    if (code) {
      const mfaPage = await counted('second-factor page', () => browser.fetch(next));
      expect(mfaPage.body).toContain('name="code"');
      next = redirected(
        await counted('second-factor POST', () =>
          browser.fetch(formAction(mfaPage.body, mfaPage.url), {
            form: { _csrf: formField(mfaPage.body, '_csrf')!, action: 'verify', code: code() },
          }),
        ),
      );
    }
    const callback = redirected(await counted('resume authorization', () => browser.fetch(next)));
    expect(callback.startsWith(REDIRECT)).toBe(true);
    const tokens = await counted('token', () =>
      client.authorizationCodeGrant(config, new URL(callback), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
    );
    return { byExchange, tokens };
  } finally {
    stop();
  }
}

describe.each(BACKENDS)('SQL statements of one OIDC sign-in (%s)', (backend) => {
  let passgate: TestServer;
  let config: client.Configuration;

  beforeAll(async () => {
    passgate = await startTestServer({ backend });
    config = await discover(passgate.url);
    await passgate.addUser('paula', PASSWORD);
    const tina = await passgate.addUser('tina', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: tina.id, label: 'tina', type: 'totp', secret: SECRET },
      'Passgate',
    );
    // One sign-in first: what is read once per process (keys, policies) is not the sign-in's.
    await signInCounted(passgate, config, 'paula');
  });
  afterAll(() => passgate?.close());

  it('signs in with the password alone within the statement budget', async () => {
    const { byExchange, tokens } = await signInCounted(passgate, config, 'paula');
    expect(tokens.claims()!.amr).toEqual(['pwd']);
    if (process.env.PASSGATE_PRINT_STATEMENTS) console.log(`${backend}\n${describeStatements(byExchange)}`);
    expect(
      totalStatements(byExchange),
      `statements of a password sign-in (at most ${MAX_STATEMENTS.password}):\n${describeStatements(byExchange)}`,
    ).toBeLessThanOrEqual(MAX_STATEMENTS.password);
  });

  it('signs in with a second factor within the statement budget', async () => {
    // A step of its own: the code of the step before was spent by the sign-in of another test.
    const code = () => totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    const { byExchange, tokens } = await signInCounted(passgate, config, 'tina', code);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    if (process.env.PASSGATE_PRINT_STATEMENTS) console.log(`${backend}\n${describeStatements(byExchange)}`);
    expect(
      totalStatements(byExchange),
      `statements of a sign-in with a second factor (at most ${MAX_STATEMENTS.secondFactor}):\n${describeStatements(byExchange)}`,
    ).toBeLessThanOrEqual(MAX_STATEMENTS.secondFactor);
  });
});
