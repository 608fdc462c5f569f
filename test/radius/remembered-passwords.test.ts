import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleKeys } from '../../src/engine/throttle-keys.js';
import { radclient, startRadiusTestServer } from '../support/radclient.js';
import type { TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
const SECRET = 'radius-remembered-secret-0123';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_REMEMBERED_SECRET';

/**
 * The RADIUS door's cache of good passwords (`radius.credentialCache.minutes`): a password checked
 * once is accepted again without the directory, but never past what the full check would refuse.
 */
describe('RADIUS remembered passwords', () => {
  let passgate: TestServer;
  let port: number;

  beforeAll(async () => {
    ({ passgate, port } = await startRadiusTestServer({
      name: 'vpn',
      secret: SECRET,
      secretVariable: SECRET_VARIABLE,
    }));
    for (const name of ['rosa', 'rudi', 'remy', 'ruth']) await passgate.addUser(name, PASSWORD);
  });
  afterAll(async () => passgate?.close());

  const signIn = (userName: string, password = PASSWORD) =>
    radclient(
      { 'User-Name': userName, 'User-Password': password },
      { server: `127.0.0.1:${port}`, secret: SECRET },
    );

  /** The user's `login.password` events, oldest first: `remembered` says which were answered from the cache. */
  const passwordChecks = async (userName: string) =>
    (await passgate.core.audit.recent({ type: 'login.password', limit: 1000 }))
      .filter((e) => e.username === userName)
      .reverse()
      .map((e) => ({
        outcome: e.outcome,
        reason: e.reason ?? null,
        remembered: e.details.remembered === true,
      }));

  it('accepts a password checked before without the directory, audited as remembered, each with its login event', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('rosa')).code).toBe('Access-Accept');
    expect(await passwordChecks('rosa')).toEqual([
      { outcome: 'success', reason: null, remembered: false },
      { outcome: 'success', reason: null, remembered: true },
      { outcome: 'success', reason: null, remembered: true },
    ]);
    const logins = (await passgate.core.audit.recent({ type: 'login', limit: 1000 })).filter(
      (e) => e.username === 'rosa' && e.outcome === 'success',
    );
    expect(logins).toHaveLength(3);
  });

  it('checks in full again after a wrong password, and refuses the right one once the user is throttled', async () => {
    expect((await signIn('rudi')).code).toBe('Access-Accept');
    expect((await signIn('rudi', 'wrong password')).code).toBe('Access-Reject');
    expect((await signIn('rudi')).code).toBe('Access-Accept');
    expect((await signIn('rudi')).code).toBe('Access-Accept');
    // Failures counted elsewhere (another worker, another node) reach the limit.
    const { perUser } = passgate.core.config.loginThrottle;
    for (let i = 0; i < perUser.maxFailures; i++)
      await passgate.core.throttle.fail(throttleKeys.userName('rudi'), perUser);
    expect((await signIn('rudi')).code).toBe('Access-Reject');
    expect(await passwordChecks('rudi')).toEqual([
      { outcome: 'success', reason: null, remembered: false },
      { outcome: 'failure', reason: 'INVALID_CREDENTIALS', remembered: false },
      { outcome: 'success', reason: null, remembered: false },
      { outcome: 'success', reason: null, remembered: true },
      { outcome: 'denied', reason: 'THROTTLED', remembered: false },
    ]);
  });

  it('refuses a remembered password once the user is disabled in Passgate', async () => {
    expect((await signIn('remy')).code).toBe('Access-Accept');
    expect((await signIn('remy')).code).toBe('Access-Accept');
    await passgate.core.users.setDisabled('remy', true);
    expect((await signIn('remy')).code).toBe('Access-Reject');
    expect((await passwordChecks('remy')).at(-1)).toEqual({
      outcome: 'failure',
      reason: 'ACCOUNT_DISABLED',
      remembered: false,
    });
  });

  it('refuses the old password once the password changed in Passgate, and remembers the new one', async () => {
    expect((await signIn('ruth')).code).toBe('Access-Accept');
    expect((await signIn('ruth')).code).toBe('Access-Accept');
    await passgate.core.directory.resetPassword('ruth', 'a new password for ruth');
    expect((await signIn('ruth')).code).toBe('Access-Reject');
    expect((await signIn('ruth', 'a new password for ruth')).code).toBe('Access-Accept');
    expect((await signIn('ruth', 'a new password for ruth')).code).toBe('Access-Accept');
    expect((await passwordChecks('ruth')).slice(2)).toEqual([
      { outcome: 'failure', reason: 'INVALID_CREDENTIALS', remembered: false },
      { outcome: 'success', reason: null, remembered: false },
      { outcome: 'success', reason: null, remembered: true },
    ]);
  });
});
