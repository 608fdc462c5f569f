import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { AdminBrowser, startAdminServer } from './support.js';

describe('signing in to the administration site', () => {
  let server: PolicyServer;

  beforeAll(async () => {
    server = await startAdminServer({
      config: {
        admin: { sessionIdleMinutes: 5 },
        policies: {
          authentication: {
            // A rule that would let the password alone into the administration site: it may not.
            'admin-password-only': { when: { doors: ['admin'] }, outcome: { action: 'allow' } },
          },
        },
      },
    });
    await server.addUser('pat', 'correct horse battery');
  }, 120_000);
  afterAll(() => server?.close());

  it('asks for a second factor even when a rule would allow the password alone, then shows the role', async () => {
    const admin = new AdminBrowser(server);
    await admin.open('/admin');
    expect(admin.page.url).toMatch(/\/login\/adm-[\w-]+$/);
    await admin.post(admin.formAction(), { username: 'ada', password: 'correct horse battery' });
    expect(admin.page.url).toMatch(/\/mfa$/);
    await admin.post(admin.formAction(), { action: 'verify', code: server.totp() });
    expect(new URL(admin.page.url).pathname).toBe('/admin');
    expect(admin.page.status).toBe(200);
    expect(admin.role).toBe('administrator');
    expect(admin.page.body).toContain('id="nav-audit"');
    expect(admin.page.body).toContain('id="nav-policies"');
    const [login] = await server.logins('ada');
    expect(login?.details).toMatchObject({
      rule: 'admin-password-only',
      door: 'admin',
      stepUp: 'admin-site',
    });
    const [signIn] = await server.core.audit.recent({ type: 'admin.signin' });
    expect(signIn).toMatchObject({
      outcome: 'success',
      username: 'ada',
      details: { mfa: true, role: 'administrator' },
    });
  });

  it('never lets in a user without a second factor, whatever the rule', async () => {
    const admin = new AdminBrowser(server);
    await admin.signIn('pat');
    expect(admin.page.url).not.toMatch(/\/admin$/);
    expect(admin.page.status).toBeGreaterThanOrEqual(400);
    const home = await admin.open('/admin');
    expect(home.url).toMatch(/\/login\/adm-/);
  });

  it('shows 403 to a user who signed in but holds no role, and lets them sign out', async () => {
    const admin = new AdminBrowser(server);
    await admin.signIn('nora');
    expect(admin.page.status).toBe(403);
    expect(admin.page.body).toContain('data-code="ADMIN_NOT_ADMINISTRATOR"');
    expect((await admin.open('/admin/audit')).status).toBe(403);
    await admin.post('/admin/signout');
    expect(new URL(admin.page.url).pathname).toBe('/admin/signed-out');
    expect((await admin.open('/admin')).url).toMatch(/\/login\/adm-/);
  });

  it('gives members of a mapped directory group their role (any case), and the navigation of that role', async () => {
    const admin = new AdminBrowser(server);
    await admin.signIn('hugo');
    expect(admin.role).toBe('helpdesk');
    expect(admin.page.body).toContain('id="nav-audit"');
    expect(admin.page.body).not.toContain('id="nav-policies"');
  });

  it('ends the session after the idle time, and signing out ends it for a copy of the cookie', async () => {
    const admin = new AdminBrowser(server);
    await admin.signIn('otto');
    expect(admin.role).toBe('auditor');
    server.clock.advance(4 * 60_000);
    expect((await admin.open('/admin')).status).toBe(200);
    server.clock.advance(5 * 60_000 + 1_000);
    expect((await admin.open('/admin')).url).toMatch(/\/login\/adm-/);

    await admin.signIn('otto');
    const cookies = await admin.browser.jar.getCookies(`${server.url}/admin`);
    const copy = cookies.map((c) => `${c.key}=${c.value}`).join('; ');
    await admin.post('/admin/signout');
    const replay = await fetch(`${server.url}/admin`, { headers: { cookie: copy }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/\/login\/adm-/);
  });

  it('ends with the single sign-on session it belongs to', async () => {
    const admin = new AdminBrowser(server);
    await admin.signIn('ada');
    expect(admin.role).toBe('administrator');
    const user = await server.core.users.findByUsername('ada');
    await server.server.services()!.engine.sessions.revokeUser(user!.id, { reason: 'logout', by: 'test' });
    expect((await admin.open('/admin')).url).toMatch(/\/login\/adm-/);
  });
});
