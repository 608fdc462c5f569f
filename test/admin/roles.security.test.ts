import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROLES, type AdminRole } from '../../src/config/admin-schema.js';
import type { AdminRoute } from '../../src/doors/admin/page.js';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../../src/doors/admin/permissions.js';
import { PUBLIC_ROUTES } from '../../src/doors/admin/router.js';
import { ACTIVESYNC_ON } from '../devices/support.js';
import type { PolicyServer } from '../policy/support.js';
import { AdminBrowser, adminDoorOf, snapshot, startAdminServer } from './support.js';

/** The user of each role on the test server (support.ts). */
const MEMBER: Record<AdminRole, string> = { administrator: 'ada', helpdesk: 'hugo', auditor: 'otto' };

/** A concrete URL for a route's path: each `:param` becomes a value no row has. */
const concrete = (path: string) => path.replace(/:(\w+)/g, 'no-such-$1');

describe('every route of the administration site against every role', () => {
  let server: PolicyServer;
  const browsers = {} as Record<AdminRole, AdminBrowser>;
  let routes: AdminRoute[];

  beforeAll(async () => {
    // The ActiveSync door on: its devices page is one of the site's (test/admin/devices.test.ts has it off).
    server = await startAdminServer({ config: ACTIVESYNC_ON });
    for (const role of ADMIN_ROLES) {
      browsers[role] = new AdminBrowser(server);
      await browsers[role].signIn(MEMBER[role]);
      expect(browsers[role].role).toBe(role);
    }
    routes = adminDoorOf(server).pages.flatMap((page) => page.routes);
  }, 120_000);
  afterAll(() => server?.close());

  it('has no route that did not declare one of the permissions', () => {
    const router = adminDoorOf(server).routers![0]! as unknown as {
      stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
    };
    const mounted = router.stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`)
        : [],
    );
    const declared = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(mounted.sort()).toEqual([...declared, ...PUBLIC_ROUTES].sort());
    for (const route of routes) expect(PERMISSIONS).toContain(route.permission);
    expect(routes.length).toBeGreaterThan(4);
  });

  it('gives each role what the issue says: administrators everything, helpdesk no system settings, auditors only reads', () => {
    expect([...ROLE_PERMISSIONS.administrator].sort()).toEqual([...PERMISSIONS].sort());
    for (const area of ['policies', 'gateways', 'applications', 'licences'])
      for (const p of ['read', 'write'])
        expect(ROLE_PERMISSIONS.helpdesk.has(`${area}.${p}` as never), `${area}.${p}`).toBe(false);
    for (const area of ['users', 'tokens', 'sessions', 'seats'])
      expect(ROLE_PERMISSIONS.helpdesk.has(`${area}.write` as never), area).toBe(true);
    expect([...ROLE_PERMISSIONS.auditor].filter((p) => p.endsWith('.write'))).toEqual(['preferences.write']);
  });

  for (const role of ADMIN_ROLES) {
    it(`answers the ${role} 403 with nothing written wherever the role lacks the permission, and serves the rest`, async () => {
      const admin = browsers[role];
      await admin.open('/admin');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(admin.page.body)![1]!;
      const table: string[] = [];
      for (const route of routes) {
        const url = `${server.url}${concrete(route.path)}`;
        const before = await snapshot(server.core.database.db as never);
        const answer =
          route.method === 'get'
            ? await admin.browser.fetch(url)
            : await admin.browser.fetch(url, { form: { _csrf: csrf } });
        const allowed = ROLE_PERMISSIONS[role].has(route.permission);
        table.push(`${route.method} ${route.path} ${answer.status}`);
        if (allowed) {
          expect(answer.status, `${role} ${route.method} ${route.path}`).not.toBe(403);
          expect(answer.status, `${role} ${route.method} ${route.path}`).toBeLessThan(500);
        } else {
          expect(answer.status, `${role} ${route.method} ${route.path}`).toBe(403);
          expect(answer.body).toContain('data-code="ADMIN_FORBIDDEN"');
          expect(await snapshot(server.core.database.db as never), `${role} ${route.path} wrote`).toBe(
            before,
          );
        }
      }
      expect(table.length).toBe(routes.length);
    });
  }

  it('refuses a form post without the session’s CSRF token, writing nothing', async () => {
    const admin = browsers.administrator;
    const before = await snapshot(server.core.database.db as never);
    const form = { 'visible.at': 'on', 'order.at': '1', 'size.at': 'm' };
    const missing = await admin.browser.fetch(`${server.url}/admin/audit/columns`, { form });
    expect(missing.status).toBe(403);
    const forged = await admin.browser.fetch(`${server.url}/admin/audit/columns`, {
      form: { ...form, _csrf: 'forged-token' },
    });
    expect(forged.status).toBe(403);
    // A token of another administrator's session is refused too.
    await browsers.helpdesk.open('/admin');
    const other = /name="_csrf" value="([^"]+)"/.exec(browsers.helpdesk.page.body)![1]!;
    const crossed = await admin.browser.fetch(`${server.url}/admin/audit/columns`, {
      form: { ...form, _csrf: other },
    });
    expect(crossed.status).toBe(403);
    expect(await snapshot(server.core.database.db as never)).toBe(before);
  });

  it('sends the security headers and CSP of the other sites, with no inline script', async () => {
    const admin = browsers.administrator;
    const page = await admin.open('/admin/audit');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.body).not.toMatch(/\sstyle=|\son[a-z]+=/);
    const cookie = (await admin.browser.jar.getCookies(`${server.url}/admin`)).find(
      (c) => c.key === 'passgate.admin',
    );
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/admin' });
  });
});
