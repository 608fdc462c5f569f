import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { ADMIN_ROLES_CONFIG, AdminBrowser, startAdminServer } from './support.js';

/** The audit grid's header columns, in the order the page shows them. */
const headers = (body: string) =>
  [...body.matchAll(/<th scope="col" data-column="([^"]+)"/g)].map((m) => m[1]);

/** The width class of each shown column (`<col class="w-…">`). */
const widths = (body: string) => [...body.matchAll(/<col class="w-([a-z]+)">/g)].map((m) => m[1]);

const DEFAULT = ['at', 'type', 'outcome', 'username', 'admin', 'address'];

describe.each(BACKENDS)('grid columns chosen by an administrator (%s)', (backend) => {
  const masterKey = randomBytes(32).toString('base64');
  let database: TestDatabase;
  let server: PolicyServer;
  const config = { secrets: { masterKey } } as ConfigInput;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    server = await startAdminServer({ databaseUrl: database.url, config });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  /** The columns form of the audit grid with `details` shown first and wide, `address` hidden. */
  const choice = (body: string) => {
    const form: Record<string, string> = {};
    const ids = [...body.matchAll(/name="order\.([a-z]+)"/g)].map((m) => m[1]!);
    expect([...ids].sort()).toEqual([...DEFAULT, 'reason', 'details', 'id'].sort());
    ids.forEach((id, index) => {
      form[`order.${id}`] = String(index + 2);
      form[`size.${id}`] = 's';
      if (DEFAULT.includes(id) && id !== 'address') form[`visible.${id}`] = 'on';
    });
    form['order.details'] = '1';
    form['visible.details'] = 'on';
    form['size.details'] = 'xl';
    form.return = 'type=admin&period=30d';
    return form;
  };

  it('keeps the choice in the store: another browser, and a new server process after this one stops, show it', async () => {
    const first = new AdminBrowser(server);
    await first.signIn('ada');
    await first.open('/admin/audit');
    expect(headers(first.page.body)).toEqual(DEFAULT);
    await first.post('/admin/audit/columns', choice(first.page.body));
    expect(first.page.url).toMatch(/\/admin\/audit\?type=admin&period=30d#audit-columns$/);
    expect(headers(first.page.body)).toEqual(['details', 'at', 'type', 'outcome', 'username', 'admin']);
    expect(widths(first.page.body)).toEqual(['xl', 's', 's', 's', 's', 's']);
    expect(first.page.body).toContain('name="type" value="admin"');
    const [event] = await server.core.audit.recent({ type: 'admin.grid.columns' });
    expect(event?.details).toMatchObject({
      admin: 'ada',
      role: 'administrator',
      before: { grid: 'audit', columns: null },
    });

    // Another administrator keeps the defaults.
    const other = new AdminBrowser(server);
    await other.signIn('otto');
    await other.open('/admin/audit');
    expect(headers(other.page.body)).toEqual(DEFAULT);

    // The server stops; a new one starts on the same store (a restart), and a new browser signs in.
    const offset = server.clock() - Date.now();
    await server.close();
    server = await startPolicyServer({
      databaseUrl: database.url,
      config: { ...config, admin: { roles: ADMIN_ROLES_CONFIG } } as ConfigInput,
    });
    // The TOTP codes used so far are spent: the new server's clock goes on from the old one's.
    server.clock.advance(offset);
    const again = new AdminBrowser(server);
    await again.signIn('ada');
    await again.open('/admin/audit');
    expect(again.page.body.slice(0, 2000)).toContain('<h1>Audit log</h1>');
    expect(headers(again.page.body)).toEqual(['details', 'at', 'type', 'outcome', 'username', 'admin']);
    expect(widths(again.page.body)).toEqual(['xl', 's', 's', 's', 's', 's']);

    // The up/down buttons move one column; reset goes back to the defaults.
    await again.post('/admin/audit/columns', { ...choice(again.page.body), move: 'down:details' });
    expect(headers(again.page.body)).toEqual(['at', 'details', 'type', 'outcome', 'username', 'admin']);
    await again.post('/admin/audit/columns/reset', { return: '' });
    expect(headers(again.page.body)).toEqual(DEFAULT);
    expect(
      await server.core.repositories.gridPreferences.find(
        (await server.core.users.findByUsername('ada'))!.id,
        'audit',
      ),
    ).toBeUndefined();
  });

  it('refuses a choice that hides every column, and keeps the one before', async () => {
    const admin = new AdminBrowser(server);
    await admin.signIn('ada');
    await admin.open('/admin/audit');
    const form = choice(admin.page.body);
    await admin.post('/admin/audit/columns', form);
    for (const key of Object.keys(form)) if (key.startsWith('visible.')) delete form[key];
    await admin.open('/admin/audit');
    const answer = await admin.post('/admin/audit/columns', form);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('data-code="ADMIN_BAD_INPUT"');
    await admin.open('/admin/audit');
    expect(headers(admin.page.body)[0]).toBe('details');
  });
});
