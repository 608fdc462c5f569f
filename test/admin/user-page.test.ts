import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSessions } from '../../src/server/sessions.js';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { hotpCode } from '../../src/tokens/oath.js';
import type { PolicyServer } from '../policy/support.js';
import { AdminBrowser, snapshot, startAdminServer } from './support.js';

const PASSWORD = 'correct horse battery';
const HOTP_SECRET = Buffer.from('3132333435363738393031323334353637383930', 'hex');

/** The outcome a user's page shows after an action: `done:<word>` or `error:<code>`. */
const outcomeOf = (body: string) => {
  const done = /id="user-done" data-done="([^"]+)"/.exec(body)?.[1];
  const error = /id="user-error" data-code="([^"]+)"/.exec(body)?.[1];
  return done ? `done:${done}` : error ? `error:${error}` : 'none';
};

describe("a user's page on the administration site", () => {
  let server: PolicyServer;
  let admin: AdminBrowser;
  let helpdesk: AdminBrowser;
  let auditor: AdminBrowser;
  let uma: User;
  let other: User;

  const page = (user: User) => `/admin/users/${user.id}`;
  const lastAudit = async (type: string) => (await server.core.audit.recent({ type }))[0];
  const db = () => server.core.database.db as never;
  /** Every row of the store, once the attempts of earlier sign-ins (written in batches) have landed. */
  const stored = async () => {
    await server.core.attempts.flush();
    return snapshot(db());
  };

  beforeAll(async () => {
    // Learned networks are on, so that the page has some to revoke.
    server = await startAdminServer({ config: { policies: { learning: { enabled: true } } } as never });
    uma = await server.addUser('uma', PASSWORD, { displayName: 'Uma Thurman', mobile: '+33 6 12 34 56 78' });
    other = await server.addUser('otis', PASSWORD);
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
    helpdesk = new AdminBrowser(server);
    await helpdesk.signIn('hugo');
    auditor = new AdminBrowser(server);
    await auditor.signIn('otto');
  }, 180_000);
  afterAll(() => server?.close());

  it('is linked from the users grid and shows the directory attributes; auditors get no forms', async () => {
    await admin.open('/admin/users?q=uma');
    expect(admin.page.body).toContain(`<a href="/admin/users/${uma.id}">uma</a>`);
    await admin.open(page(uma));
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).toContain('Uma Thurman');
    expect(admin.page.body).toContain('+33 6 12 34 56 78');
    expect(admin.page.body).toContain('data-status="enabled"');
    expect(admin.page.body).toContain('/tokens/enrol');
    await auditor.open(page(uma));
    expect(auditor.page.status).toBe(200);
    expect(auditor.page.body).toContain('Uma Thurman');
    expect(auditor.page.body).not.toMatch(/<form method="post" action="\/admin\/users\//);
  });

  it('answers 404 for an unknown user, to a page and to a form post, writing nothing', async () => {
    expect((await admin.open('/admin/users/no-such-user')).status).toBe(404);
    await admin.open(page(uma));
    const before = await stored();
    await admin.post('/admin/users/no-such-user/disable');
    expect(admin.page.status).toBe(404);
    expect(admin.page.body).toContain('data-code="ADMIN_NOT_FOUND"');
    expect(await stored()).toBe(before);
  });

  it('refuses a form post without the CSRF token, writing nothing', async () => {
    const before = await stored();
    const answer = await admin.browser.fetch(`${server.url}${page(uma)}/disable`, {
      form: { confirm: '1' },
    });
    expect(answer.status).toBe(403);
    const forged = await admin.browser.fetch(`${server.url}${page(uma)}/seats/allocate`, {
      form: { _csrf: 'forged', pool: 'mfa' },
    });
    expect(forged.status).toBe(403);
    expect(await stored()).toBe(before);
    expect((await server.core.users.findById(uma.id))?.disabled).toBe(false);
  });

  it('creates a local user, refusing a short password and a taken name with nothing written', async () => {
    await admin.open('/admin/users/new');
    expect(admin.page.status).toBe(200);
    const before = await stored();
    await admin.post('/admin/users/new', { username: 'lena', password: 'short' });
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).toContain('data-code="USER_PASSWORD_TOO_SHORT"');
    expect(admin.page.body).toContain('value="lena"');
    await admin.post('/admin/users/new', { username: 'UMA', password: 'long enough password' });
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).toContain('data-code="CONFLICT"');
    expect(await stored()).toBe(before);

    await admin.post('/admin/users/new', {
      username: 'Lena',
      password: 'a new password',
      displayName: 'Lena Olin',
      email: 'lena@example.test',
      groups: 'Sales, VPN Users',
    });
    const lena = (await server.core.users.findByUsername('lena'))!;
    expect(lena).toMatchObject({ source: 'local', displayName: 'Lena Olin', groups: ['Sales', 'VPN Users'] });
    expect(admin.page.url).toBe(`${server.url}${page(lena)}?done=created`);
    expect(outcomeOf(admin.page.body)).toBe('done:created');
    expect((await server.core.directory.authenticate('lena', 'a new password')).id).toBe(lena.id);
    const audited = await lastAudit('admin.user.add');
    expect(audited).toMatchObject({ username: 'lena', details: { admin: 'ada', before: null } });
    expect(JSON.stringify(audited)).not.toContain('a new password');

    // The password of a local user is reset; the log says it changed, never what it is.
    await admin.post(`${page(lena)}/password`, { password: 'another password' });
    expect(outcomeOf(admin.page.body)).toBe('done:password');
    expect((await server.core.directory.authenticate('lena', 'another password')).id).toBe(lena.id);
    const reset = await lastAudit('admin.user.password');
    expect(reset?.details).toMatchObject({ changedSecrets: ['password'] });
    expect(JSON.stringify(reset)).not.toContain('another password');
    await admin.post(`${page(lena)}/password`, { password: 'short' });
    expect(outcomeOf(admin.page.body)).toBe('error:USER_PASSWORD_TOO_SHORT');
  });

  it('disables a user, ending their sessions, and enables them again', async () => {
    const sessions = composeSessions(server.core);
    const { session } = await sessions.start({
      user: uma,
      amr: ['pwd'],
      mfa: false,
      address: '192.0.2.7',
      country: null,
    });
    await admin.open(page(uma));
    expect(admin.page.body).toContain(`data-session="${session.id}"`);
    await admin.post(`${page(uma)}/disable`);
    expect(outcomeOf(admin.page.body)).toBe('done:disabled');
    expect((await server.core.users.findById(uma.id))?.disabled).toBe(true);
    expect(await server.core.repositories.sessions.findById(session.id)).toMatchObject({
      revoked_reason: 'user_disabled',
    });
    expect((await lastAudit('admin.user.disable'))?.details).toMatchObject({
      before: { disabled: false },
      after: { disabled: true, sessionsEnded: 1 },
    });
    await admin.post(`${page(uma)}/enable`);
    expect(outcomeOf(admin.page.body)).toBe('done:enabled');
    expect((await server.core.users.findById(uma.id))?.disabled).toBe(false);
  });

  it('enrols an authenticator app and shows its QR code and secret once, never logging them', async () => {
    await helpdesk.open(page(uma));
    await helpdesk.post(`${page(uma)}/tokens/enrol`, { kind: 'software' });
    expect(helpdesk.page.status).toBe(200);
    expect(helpdesk.page.headers.get('cache-control')).toContain('no-store');
    const secret = /id="enrolled-secret">([A-Z2-7]+)</.exec(helpdesk.page.body)?.[1];
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(helpdesk.page.body).toMatch(
      /<img src="data:image\/png;base64,[^"]+" alt="[^"]+" id="enrolled-qr"/,
    );
    const tokens = await server.core.tokens.listByUser(uma.id);
    expect(tokens.map((t) => [t.type, t.status])).toEqual([['totp', 'active']]);
    const audited = await lastAudit('admin.token.add');
    expect(audited).toMatchObject({ username: 'uma', details: { admin: 'hugo', role: 'helpdesk' } });
    expect(JSON.stringify(audited)).not.toContain(secret);
    // The page shows it without the secret afterwards.
    await helpdesk.open(page(uma));
    expect(helpdesk.page.body).toContain(`data-token="${tokens[0]!.id}"`);
    expect(helpdesk.page.body).not.toContain(secret);
  });

  it('generates backup codes shown once, stored only as hashes', async () => {
    await admin.open(page(other));
    await admin.post(`${page(other)}/tokens/enrol`, { kind: 'backup', count: '5' });
    const codes = [...admin.page.body.matchAll(/<li><code>(\d{5}-\d{5})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(5);
    const [token] = await server.core.tokens.listByUser(other.id);
    expect(token?.type).toBe('backup');
    const rows = await server.core.database.db
      .selectFrom('backup_codes')
      .selectAll()
      .where('token_id', '=', token!.id)
      .execute();
    expect(rows).toHaveLength(5);
    const hashes = JSON.stringify(rows);
    for (const code of codes) expect(hashes).not.toContain(code.replace('-', ''));
  });

  it('enrols a hardware token, resynchronises it, and assigns it to another user by serial', async () => {
    await admin.open(page(other));
    await admin.post(`${page(other)}/tokens/enrol`, {
      kind: 'hardware',
      type: 'hotp',
      serial: 'HW-0001',
      secret: HOTP_SECRET.toString('hex'),
      encoding: 'hex',
      digits: '6',
    });
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).not.toContain('id="enrolled-secret"');
    const hardware = (await server.core.tokens.listByUser(other.id)).find((t) => t.serial === 'HW-0001')!;
    expect(hardware).toMatchObject({ type: 'hotp', hardware: true, counter: 0 });

    // Two consecutive codes further on bring the counter back in step.
    const params = { algorithm: 'SHA1', digits: 6 } as const;
    await admin.open(page(other));
    await admin.post(`${page(other)}/tokens/${hardware.id}/resync`, {
      code1: hotpCode(HOTP_SECRET, 20, params),
      code2: hotpCode(HOTP_SECRET, 21, params),
    });
    expect(outcomeOf(admin.page.body)).toBe('done:resynced');
    expect((await server.core.tokens.findById(hardware.id))?.counter).toBe(22);
    await admin.post(`${page(other)}/tokens/${hardware.id}/resync`, { code1: '000000', code2: '111111' });
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_RESYNC_FAILED');

    // A bad secret and an unknown serial are refused with nothing written.
    const before = await stored();
    await admin.post(`${page(uma)}/tokens/enrol`, {
      kind: 'hardware',
      type: 'totp',
      serial: 'HW-0002',
      secret: 'not hex at all',
      encoding: 'hex',
    });
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_INVALID_SECRET');
    await admin.post(`${page(uma)}/tokens/assign`, { serial: 'NO-SUCH-SERIAL' });
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_SERIAL_NOT_FOUND');
    await admin.post(`${page(uma)}/tokens/assign`, { serial: "' OR 1=1 --" });
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_SERIAL_NOT_FOUND');
    expect(await stored()).toBe(before);

    // A software token with a serial is not handed over.
    const software = await enrolOath(
      server.core.tokens,
      { userId: other.id, label: 'otis', type: 'totp', serial: 'SW-0001' },
      'Passgate',
    );
    await admin.post(`${page(uma)}/tokens/assign`, { serial: 'SW-0001' });
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_NOT_HARDWARE');
    expect((await server.core.tokens.findById(software.token.id))?.userId).toBe(other.id);

    await admin.post(`${page(uma)}/tokens/assign`, { serial: 'HW-0001' });
    expect(outcomeOf(admin.page.body)).toBe('done:assigned');
    expect((await server.core.tokens.findById(hardware.id))?.userId).toBe(uma.id);
    expect((await lastAudit('admin.token.assign'))?.details).toMatchObject({
      before: { ownerId: other.id, serial: 'HW-0001' },
      after: { ownerId: uma.id },
    });
  });

  it("unlocks, disables, enables and removes a token; another user's token is refused", async () => {
    const [token] = await server.core.tokens.listByUser(uma.id);
    const now = server.core.clock();
    await server.core.tokens.recordFailure(token!.id, 1, now + 3_600_000);
    await admin.open(page(uma));
    expect(admin.page.body).toContain(`data-token="${token!.id}" data-status="active" data-locked="true"`);
    await admin.post(`${page(uma)}/tokens/${token!.id}/unlock`);
    expect(outcomeOf(admin.page.body)).toBe('done:token-unlock');
    expect(await server.core.tokens.findById(token!.id)).toMatchObject({ failures: 0, lockedUntil: null });
    await admin.post(`${page(uma)}/tokens/${token!.id}/disable`);
    expect((await server.core.tokens.findById(token!.id))?.status).toBe('disabled');
    await admin.post(`${page(uma)}/tokens/${token!.id}/enable`);
    expect((await server.core.tokens.findById(token!.id))?.status).toBe('active');

    const [otisToken] = await server.core.tokens.listByUser(other.id);
    const before = await stored();
    await admin.post(`${page(uma)}/tokens/${otisToken!.id}/remove`);
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_NOT_OF_USER');
    await admin.post(`${page(uma)}/tokens/no-such-token/remove`);
    expect(outcomeOf(admin.page.body)).toBe('error:TOKEN_NOT_OF_USER');
    expect(await stored()).toBe(before);

    await admin.post(`${page(uma)}/tokens/${token!.id}/remove`);
    expect(outcomeOf(admin.page.body)).toBe('done:token-remove');
    expect(await server.core.tokens.findById(token!.id)).toBeUndefined();
    expect((await lastAudit('admin.token.remove'))?.details).toMatchObject({ after: null });
  });

  it('revokes learned networks, one or all', async () => {
    for (let i = 0; i < 3; i++) await server.core.learnedTrust.recordMfaSuccess(uma.id, '198.51.100.20');
    await server.core.learnedTrust.recordMfaSuccess(uma.id, '203.0.113.9');
    await admin.open(page(uma));
    expect(admin.page.body).toContain('data-network="198.51.100.0/24"');
    await admin.post(`${page(uma)}/networks/revoke`, { network: '198.51.100.99' });
    expect(outcomeOf(admin.page.body)).toBe('done:networks');
    const states = async () =>
      Object.fromEntries((await server.core.learnedTrust.list(uma.id)).map((e) => [e.network, e.state]));
    expect((await states())['198.51.100.0/24']).toBe('revoked');
    expect((await states())['203.0.113.0/24']).not.toBe('revoked');
    await admin.post(`${page(uma)}/networks/revoke`, { network: '10.9.9.0/24' });
    expect(outcomeOf(admin.page.body)).toBe('error:TRUST_NETWORK_NOT_FOUND');
    await admin.post(`${page(uma)}/networks/revoke`, { network: 'not an address' });
    expect(outcomeOf(admin.page.body)).toBe('error:TRUST_ADDRESS_INVALID');
    await admin.post(`${page(uma)}/networks/revoke`, { all: '1' });
    expect(Object.values(await states()).every((state) => state === 'revoked')).toBe(true);
  });

  it('ends one session the way the user’s own sign-out of another device does, then all of them', async () => {
    const sessions = composeSessions(server.core);
    const start = () =>
      sessions.start({ user: uma, amr: ['pwd', 'otp'], mfa: true, address: '192.0.2.8', country: null });
    const { session: first } = await start();
    const { session: second } = await start();
    const { session: otis } = await sessions.start({
      user: other,
      amr: ['pwd'],
      mfa: false,
      address: '192.0.2.9',
      country: null,
    });
    await admin.open(page(uma));
    await admin.post(`${page(uma)}/sessions/${otis.id}/end`);
    expect(outcomeOf(admin.page.body)).toBe('error:ADMIN_SESSION_NOT_FOUND');
    expect(await sessions.stillLive(otis.id)).toBe(true);

    await admin.post(`${page(uma)}/sessions/${first.id}/end`);
    expect(outcomeOf(admin.page.body)).toBe('done:session');
    expect(await sessions.stillLive(first.id)).toBe(false);
    expect(await sessions.stillLive(second.id)).toBe(true);
    const [logout] = await server.core.audit.recent({ type: 'session.logout' });
    expect(logout?.details).toMatchObject({ session: first.id, initiator: 'admin' });
    await admin.post(`${page(uma)}/sessions/${first.id}/end`);
    expect(outcomeOf(admin.page.body)).toBe('done:session-over');

    await admin.post(`${page(uma)}/sessions/end-all`);
    expect(outcomeOf(admin.page.body)).toBe('done:sessions');
    expect(await sessions.stillLive(second.id)).toBe(false);
    expect(await sessions.stillLive(otis.id)).toBe(true);
  });

  it('shows the last sign-in attempts and allocates and releases seats of both pools', async () => {
    await server.core.repositories.signInAttempts.insertMany([
      {
        id: '0000000000000-attempt-uma',
        at: server.core.clock() - 60_000,
        user_id: uma.id,
        user_name: 'uma',
        door: 'radius',
        application: 'vpn-gateway',
        address: '192.0.2.77',
        network: '192.0.2.0/24',
        country: null,
        first_seen: 0,
        result: 'wrong_code',
        reason: 'MFA_INVALID_CODE',
        rule: null,
        action: null,
        method: 'totp',
      },
    ]);
    await admin.open(page(uma));
    expect(admin.page.body).toContain('vpn-gateway');
    expect(admin.page.body).toContain('data-result="wrong_code"');

    for (const pool of ['mfa', 'reset'] as const) {
      await admin.post(`${page(uma)}/seats/allocate`, { pool });
      expect(outcomeOf(admin.page.body)).toBe('done:seat-allocate');
      expect(await server.core.seats.holds(uma.id, pool)).toBe(true);
      expect(admin.page.body).toContain(`id="seat-${pool}" data-held="true"`);
    }
    await admin.post(`${page(uma)}/seats/release`, { pool: 'reset' });
    expect(await server.core.seats.holds(uma.id, 'reset')).toBe(false);
    expect(await server.core.seats.holds(uma.id, 'mfa')).toBe(true);
    await admin.post(`${page(uma)}/seats/allocate`, { pool: 'everything' });
    expect(outcomeOf(admin.page.body)).toBe('error:ADMIN_BAD_INPUT');
    expect((await lastAudit('admin.user.seats.release'))?.details).toMatchObject({
      before: { pool: 'reset', held: true },
      after: { pool: 'reset', held: false },
    });
  });

  it('lets a helpdesk account act and an auditor only read (403, nothing written)', async () => {
    await auditor.open(page(uma));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(auditor.page.body)![1]!;
    const before = await stored();
    for (const action of ['disable', 'seats/allocate', 'tokens/enrol', 'sessions/end-all']) {
      const answer = await auditor.browser.fetch(`${server.url}${page(uma)}/${action}`, {
        form: { _csrf: csrf, pool: 'reset', kind: 'software' },
      });
      expect(answer.status, action).toBe(403);
    }
    expect(await stored()).toBe(before);
    await helpdesk.open(page(uma));
    await helpdesk.post(`${page(uma)}/seats/allocate`, { pool: 'reset' });
    expect(await server.core.seats.holds(uma.id, 'reset')).toBe(true);
  });
});
