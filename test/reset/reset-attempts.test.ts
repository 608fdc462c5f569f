// Reset journeys are sign-in attempts (issues 17 and 19): each way a journey ends — an unknown
// name, no reset seat, no factor, a wrong code, a password the directory refuses, success — is
// one attempt with door `reset`, written by the one attempt writer, shown on /admin/monitoring
// and on the user's page. On the real server, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminBrowser, startAdminServer } from '../admin/support.js';
import type { PolicyServer } from '../policy/support.js';
import { Browser, formField } from '../support/browser.js';
import { lastMessage } from '../support/browser-login.js';
import { BACKENDS } from '../support/databases.js';
import { giveResetSeat, identify, post } from './support.js';

const SITE = 'help-desk';

/** The grid's rows on a page: each row's cells as text. */
const gridRows = (body: string) =>
  [...body.matchAll(/<tr data-key="[^"]*">([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()),
  );

describe.each(BACKENDS)('reset journeys as sign-in attempts (%s)', (backend) => {
  let server: PolicyServer;
  let site: string;

  beforeAll(async () => {
    server = await startAdminServer({
      backend,
      config: { reset: { neutralMinMs: 0, sites: [{ name: SITE, path: '/help' }] } },
    });
    site = `${server.url}/help`;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The reset attempts in the store, oldest first, once the writer's batches have landed. */
  const resetAttempts = async () => {
    await server.core.attempts.flush();
    const rows = await server.core.database.db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('door', '=', 'reset')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      user: r.user_name,
      known: r.user_id !== null,
      result: r.result,
      reason: r.reason,
      application: r.application,
      method: r.method,
    }));
  };

  it('records each way a journey ends, through the one writer, and shows them on the monitoring page and the user page', async () => {
    const rita = await server.addUser('rita', 'Old-password-1', { mobile: '+33612340001' });
    await giveResetSeat(server, rita.id);
    await server.addUser('sam', 'Old-password-1', { mobile: '+33612340002' }); // no reset seat
    const fred = await server.addUser('fred', 'Old-password-1'); // no factor
    await giveResetSeat(server, fred.id);

    for (const name of ['nobody', 'sam', 'fred']) {
      const { answer } = await identify(new Browser(), site, name);
      expect(answer.status).toBe(200); // the same neutral page for all three
    }

    // rita: a wrong code, then the right one; a password the directory refuses, then a good one.
    const browser = new Browser();
    const { answer } = await identify(browser, site, 'rita');
    expect(answer.status).toBe(303);
    const login = new URL(answer.headers.get('location')!, site).toString();
    const mfaUrl = new URL((await browser.fetch(login)).headers.get('location')!, login).toString();
    const mfa = await browser.fetch(mfaUrl);
    const wrong = await browser.fetch(mfaUrl, {
      form: { _csrf: formField(mfa.body, '_csrf') ?? '', action: 'verify', code: '000000' },
    });
    expect(wrong.body).toContain('name="code"');
    const right = await browser.fetch(mfaUrl, {
      form: {
        _csrf: formField(wrong.body, '_csrf') ?? '',
        action: 'verify',
        code: lastMessage(server, 'sms').code,
      },
    });
    expect(right.status, right.body.slice(0, 300)).toBe(303);
    const verified = await browser.fetch(new URL(right.headers.get('location')!, mfaUrl).toString());
    // Verifying is not the journey's end: no attempt yet for it.
    expect((await resetAttempts()).filter((a) => a.user === 'rita').map((a) => a.result)).toEqual([
      'wrong_code',
    ]);
    const refused = await post(browser, site, verified, 'password', { password: 'short', confirm: 'short' });
    expect(refused.body).toContain('data-refusal="tooShort"');
    const done = await post(browser, site, refused, 'password', {
      password: 'New-password-2',
      confirm: 'New-password-2',
    });
    expect(done.body).toContain('data-action="reset"');

    expect(await resetAttempts()).toEqual([
      {
        user: 'nobody',
        known: false,
        result: 'unknown_user',
        reason: 'UNKNOWN_USER',
        application: SITE,
        method: null,
      },
      {
        user: 'sam',
        known: true,
        result: 'denied',
        reason: 'NO_RESET_SEAT',
        application: SITE,
        method: null,
      },
      {
        user: 'fred',
        known: true,
        result: 'no_method',
        reason: 'MFA_NO_FACTOR',
        application: SITE,
        method: null,
      },
      {
        user: 'rita',
        known: true,
        result: 'wrong_code',
        reason: 'MFA_INVALID_CODE',
        application: SITE,
        method: null, // a passcode sent is checked against no token type
      },
      {
        user: 'rita',
        known: true,
        result: 'password_rejected',
        reason: 'PASSWORD_REJECTED',
        application: SITE,
        method: 'sms',
      },
      { user: 'rita', known: true, result: 'success', reason: null, application: SITE, method: 'sms' },
    ]);

    const ada = new AdminBrowser(server);
    await ada.signIn('ada');
    await ada.open('/admin/monitoring?period=24h&door=reset');
    const rows = gridRows(ada.page.body);
    // Columns shown by default: time, user, result, country, door, application, address.
    expect(rows.map((r) => [r[1], r[2], r[4], r[5]]).sort()).toEqual(
      [
        ['fred', 'no_method', 'reset', SITE],
        ['nobody', 'unknown_user', 'reset', SITE],
        ['rita', 'password_rejected', 'reset', SITE],
        ['rita', 'success', 'reset', SITE],
        ['rita', 'wrong_code', 'reset', SITE],
        ['sam', 'denied', 'reset', SITE],
      ].sort(),
    );
    await ada.open('/admin/monitoring?period=24h&door=reset&result=unknown_user');
    expect(gridRows(ada.page.body).map((r) => r[1])).toEqual(['nobody']);

    await ada.open(`/admin/users/${rita.id}`);
    const attempts = /<table class="data-grid" id="attempts-table">[\s\S]*?<\/table>/.exec(ada.page.body)![0];
    expect(attempts).toContain('data-result="password_rejected"');
    expect(attempts).toContain('data-result="success"');
    expect(attempts).toContain('data-result="wrong_code"');
    expect(attempts.match(/<td>reset<\/td>/g)).toHaveLength(3);
  });
});
