import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { AdminBrowser, startAdminServer } from './support.js';

/** The user names in the users grid of a page, in order. */
const gridNames = (body: string) =>
  [
    ...body.matchAll(
      /<tr data-key="[^"]+">\s*<td class="select">[\s\S]*?<\/td>\s*<td>(?:<a href="[^"]*">)?([^<]*)(?:<\/a>)?<\/td>/g,
    ),
  ].map((m) => m[1]);

describe('the users grid of the administration site', () => {
  let server: PolicyServer;
  let admin: AdminBrowser;

  beforeAll(async () => {
    server = await startAdminServer();
    for (let i = 0; i < 30; i++)
      await server.addUser(`grid${String(i).padStart(2, '0')}`, 'correct horse battery', {
        displayName: `Grid Person ${i}`,
        groups: i % 3 === 0 ? ['Finance-EU'] : [],
      });
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
  }, 180_000);
  afterAll(() => server?.close());

  it('searches by the beginning of a word, filters and sorts on the server, and pages with cursors', async () => {
    await admin.open('/admin/users?q=finance&sort=username&dir=desc&size=25');
    expect(admin.page.status).toBe(200);
    expect(gridNames(admin.page.body)).toEqual([
      'grid27',
      'grid24',
      'grid21',
      'grid18',
      'grid15',
      'grid12',
      'grid09',
      'grid06',
      'grid03',
      'grid00',
    ]);
    expect(admin.page.body).toContain('10 users');
    await admin.open('/admin/users?q=grid&sort=username&dir=asc&size=25');
    expect(gridNames(admin.page.body)).toHaveLength(25);
    const next = /<a href="([^"]+)" rel="next"/.exec(admin.page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toContain('after=');
    await admin.open(next!);
    expect(gridNames(admin.page.body)).toEqual(['grid25', 'grid26', 'grid27', 'grid28', 'grid29']);
    expect(admin.page.body).not.toContain('rel="next"');
    await admin.open('/admin/users?q=%25&size=25');
    expect(gridNames(admin.page.body)).toEqual([]);
    await admin.open('/admin/users?after=forged-cursor');
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).not.toContain('USER_SEARCH_INVALID');
  });

  it('allocates and releases seats, disables and unlocks the selected users, each change audited', async () => {
    const core = server.core;
    const target = (await core.users.findByUsername('grid05'))!;
    await admin.open('/admin/users?q=grid05');
    await admin.post('/admin/users/bulk/allocate', { select: target.id, pool: 'mfa', back: 'q=grid05' });
    expect(new URL(admin.page.url).searchParams.get('done')).toBe('1');
    expect(admin.page.body).toContain('1 users changed.');
    expect(await core.seats.holds(target.id, 'mfa')).toBe(true);
    await admin.post('/admin/users/bulk/release', { select: target.id, pool: 'mfa', back: 'q=grid05' });
    expect(await core.seats.holds(target.id, 'mfa')).toBe(false);

    await admin.post('/admin/users/bulk/disable', { select: target.id, back: 'q=grid05' });
    expect((await core.users.findById(target.id))?.disabled).toBe(true);
    const [disabled] = await core.audit.recent({ type: 'admin.user.disable' });
    expect(disabled).toMatchObject({
      username: 'grid05',
      details: { admin: 'ada', after: { disabled: true } },
    });

    await admin.post('/admin/users/bulk/disable', { back: 'q=grid05' });
    expect(new URL(admin.page.url).searchParams.get('refused')).toBe('none');
  });

  it('refuses a bulk post without the CSRF token and changes nothing', async () => {
    const target = (await server.core.users.findByUsername('grid07'))!;
    await admin.open('/admin/users');
    await admin.post('/admin/users/bulk/disable', { _csrf: 'wrong', select: target.id });
    expect(admin.page.status).toBe(403);
    expect((await server.core.users.findById(target.id))?.disabled).toBe(false);
  });
});
