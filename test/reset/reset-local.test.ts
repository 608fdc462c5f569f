// The password-reset door on the local directory: the same journey sets a new scrypt hash, the
// rules of the local directory apply, a journey belongs to the browser that started it, and the
// user-name step is throttled per user name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { giveResetSeat, identify, post, verify } from './support.js';

let passgate: TestServer;
let site: string;
beforeAll(async () => {
  passgate = await startTestServer({
    config: {
      reset: {
        neutralMinMs: 0,
        perUser: { maxFailures: 3 },
        sites: [{ name: 'local', path: '/account-help' }],
      },
    },
  });
  site = `${passgate.url}/account-help`;
});
afterAll(async () => {
  await passgate?.close();
});

async function localUser(username: string) {
  const user = await passgate.addUser(username, 'Old-password-1', { mobile: '+33612349999' });
  await giveResetSeat(passgate, user.id);
  return user;
}

describe('a reset on the local directory', () => {
  it('sets a new password hash: the new password signs in, the old one no longer does', async () => {
    await localUser('lena');
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, 'lena');
    expect(verified.body).toContain('have at least 8 characters');
    const short = await post(browser, site, verified, 'password', { password: 'short', confirm: 'short' });
    expect(short.body).toContain('data-refusal="tooShort"');
    const done = await post(browser, site, short, 'password', {
      password: 'New-password-2',
      confirm: 'New-password-2',
    });
    expect(done.body).toContain('data-action="reset"');
    expect((await passgate.core.directory.authenticate('lena', 'New-password-2')).username).toBe('lena');
    await expect(passgate.core.directory.authenticate('lena', 'Old-password-1')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
  });

  it('lets no other browser carry on a journey it did not start', async () => {
    await localUser('lars');
    const { answer } = await identify(new Browser(), site, 'lars');
    expect(answer.status).toBe(303);
    const other = await new Browser().fetch(new URL(answer.headers.get('location')!, site).toString());
    expect(other.status).toBe(400);
    expect(other.body).not.toContain('name="code"');
    // Nor does a browser without a verified journey reach the last step.
    expect((await new Browser().fetch(`${site}/verified`)).status).toBe(400);
  });

  it('refuses more journeys for one user name than perUser allows, and says so', async () => {
    await localUser('lotta');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await identify(new Browser(), site, 'lotta')).answer.status);
    expect(statuses).toEqual([303, 303, 303, 429]);
    const { answer } = await identify(new Browser(), site, 'lotta');
    expect(answer.body).toContain('data-code="RESET_THROTTLED"');
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
