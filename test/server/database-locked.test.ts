// A SQLite database file locked by another writer while a user signs in (the PostgreSQL outages
// are in database-outage.test.ts, which runs alone: this file only waits on a lock of its own).
import SqliteDatabase from 'better-sqlite3';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formAction, formField } from '../support/browser.js';
import { discover, pkceRequest } from '../support/relying-party.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { oauthErrorOf } from '../support/sign-in-load.js';

const PASSWORD = 'outage-password-1';

/**
 * SQLite has no server to lose, but a database file locked by another writer (SQLITE_BUSY after
 * the busy timeout) must take the same path: the "temporarily unavailable" answer, nothing
 * half-done, and the same sign-in goes on once the lock is gone.
 */
describe('a SQLite database locked by another writer', () => {
  let passgate: TestServer;
  let rp: client.Configuration;
  let lock: SqliteDatabase.Database;

  beforeAll(async () => {
    passgate = await startTestServer({ backend: 'sqlite' });
    await passgate.addUser('ada', PASSWORD);
    rp = await discover(passgate.url);
    lock = new SqliteDatabase(passgate.config.database.url!.slice('sqlite:'.length));
  });
  afterAll(async () => {
    if (lock.inTransaction) lock.exec('rollback');
    lock.close();
    await passgate.close();
  });

  /** Runs `step` while another connection holds the write lock of the database file. */
  const whileLocked = async <T>(step: () => Promise<T>): Promise<T> => {
    lock.exec('begin exclusive');
    try {
      return await step();
    } finally {
      lock.exec('rollback');
    }
  };

  it('answers the password form and the token endpoint with 503 "temporarily unavailable", and the same sign-in completes after', async () => {
    const { url, redirectUri, verifier, state } = await pkceRequest(rp);
    const browser = new Browser();
    const { last: page } = await browser.follow(url);
    expect(page.body).toContain('name="password"');
    const post = (from: typeof page) =>
      browser.follow(
        formAction(from.body, from.url),
        { form: { _csrf: formField(from.body, '_csrf') ?? '', username: 'ada', password: PASSWORD } },
        (location) => location.startsWith(redirectUri),
      );

    const refused = await whileLocked(() => post(page));
    expect(refused.last.status).toBe(503);
    expect(refused.last.body).toContain('Sign-in is temporarily unavailable');
    expect(refused.last.body).not.toMatch(/SQLITE|at .+:\d+:\d+/);

    // The page the user got is the login form again: sending it once the lock is gone signs in.
    const posted = await post(refused.last);
    expect(posted.location).toBeDefined();
    const callback = new URL(posted.location!);
    expect(callback.searchParams.get('code')).toBeTruthy();

    const tokenError = await whileLocked(() =>
      client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state }).then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(await oauthErrorOf(tokenError)).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: expect.stringMatching(/temporarily/) },
    });
    // The client is told when to try again, as the pages' 503 answers tell browsers.
    const { response, cause } = tokenError as { response?: Response; cause?: unknown };
    const answer = response ?? (cause instanceof Response ? cause : undefined);
    expect(answer?.headers.get('retry-after')).toBe('5');

    // The refused exchange consumed nothing: the same code is still good once the lock is gone.
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBeTruthy();
  }, 60_000);
});
