import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { AdminBrowser, snapshot, startAdminServer } from './support.js';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8');
const PSK = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

/** The serials the dry run's table lists as importable, in order. */
const accepted = (body: string) =>
  [...body.matchAll(/<tr class="accepted" data-serial="([^"]*)">/g)].map((m) => m[1]);

describe('token import on the administration site', () => {
  let server: PolicyServer;
  let admin: AdminBrowser;

  beforeAll(async () => {
    server = await startAdminServer();
    await server.addUser('alice', 'correct horse battery');
    await server.addUser('bob', 'correct horse battery');
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
  }, 180_000);
  afterAll(() => server?.close());

  /** Every table, once the sign-in attempts queued by a sign-in are written (a timer writes them). */
  const settled = async () => {
    await server.core.attempts.flush();
    return snapshot(server.core.database.db as never);
  };
  const serials = async () =>
    (
      await server.core.database.db
        .selectFrom('tokens')
        .select('serial')
        .where('serial', 'is not', null)
        .execute()
    )
      .map((t) => t.serial)
      .sort();

  it('shows a dry run of a CSV file that writes nothing, then imports exactly what it showed, audited', async () => {
    await admin.open('/admin/tokens/import');
    expect(admin.page.status).toBe(200);
    const before = await settled();
    await admin.upload(
      '/admin/tokens/import/check',
      {},
      { file: { name: 'tokens.csv', content: fixture('csv/tokens.csv') } },
    );
    expect(admin.page.status).toBe(200);
    expect(await snapshot(server.core.database.db as never)).toBe(before);
    expect(accepted(admin.page.body)).toEqual(['CSV0001', 'CSV0002', 'CSV0003']);
    expect(admin.page.body).toContain('Would import 3 tokens (2 HOTP, 1 TOTP) for 2 users');
    // No seed reaches the page, in any encoding the file used.
    expect(admin.page.body).not.toMatch(/3132333435363738393031323334353637383930|GEZD ?GNBV/);

    await admin.post('/admin/tokens/import', {
      checked: /name="checked" value="([^"]+)"/.exec(admin.page.body)![1]!,
    });
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).toContain('Imported 3 tokens (2 HOTP, 1 TOTP) for 2 users.');
    expect(await serials()).toEqual(['CSV0001', 'CSV0002', 'CSV0003']);
    const [event] = await server.core.audit.recent({ type: 'admin.token.import' });
    expect(event).toMatchObject({
      details: {
        admin: 'ada',
        after: { via: 'admin', file: 'tokens.csv', tokens: 3, hotp: 2, totp: 1, users: 2 },
      },
    });
    expect(JSON.stringify(event)).not.toMatch(/3132333435363738393031323334353637383930|GEZD/);
  });

  it('lists every duplicate and per-entry problem, offers no import, and writes nothing', async () => {
    const before = await settled();
    const csv =
      'serial,secret,type,user\nCSV0001,3132333435363738393031323334353637383930,hotp,alice\nNEW1,3132333435363738393031323334353637383930,totp,nobody\nNEW1,3132333435363738393031323334353637383930,totp,bob\n';
    await admin.upload('/admin/tokens/import/check', {}, { file: { name: 'more.csv', content: csv } });
    expect(admin.page.body).toContain('serial CSV0001 is already enrolled');
    expect(admin.page.body).toContain('no user &#34;nobody&#34;');
    expect(admin.page.body).toContain('serial NEW1 is also in line 3');
    expect(admin.page.body).toContain('2 duplicate serials');
    expect(admin.page.body).toContain('id="import-blocked"');
    expect(admin.page.body).not.toContain('name="checked"');
    expect(await snapshot(server.core.database.db as never)).toBe(before);
  });

  it('imports an encrypted PSKC file with its pre-shared key, and the dry run equals the import', async () => {
    await admin.open('/admin/tokens/import');
    await admin.upload(
      '/admin/tokens/import/check',
      { psk: PSK },
      {
        file: { name: 'delivery.xml', content: fixture('pskc/aes256-hmac-sha256.xml') },
      },
    );
    const shown = accepted(admin.page.body);
    expect(shown).toEqual(['EXT00001', 'EXT00002', 'EXT00003']);
    expect(admin.page.body).not.toContain(PSK);
    const before = await serials();
    await admin.post('/admin/tokens/import', {
      checked: /name="checked" value="([^"]+)"/.exec(admin.page.body)![1]!,
    });
    expect(admin.page.body).toContain('Imported 3 tokens');
    expect((await serials()).filter((s) => !before.includes(s))).toEqual(shown);
  });

  it('refuses broken XML and a DOCTYPE with a clear message, and a forged or foreign sealed file', async () => {
    const before = await settled();
    await admin.upload(
      '/admin/tokens/import/check',
      {},
      { file: { name: 'broken.xml', content: '<KeyContainer><Key' } },
    );
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).toContain('id="import-error"');
    await admin.upload(
      '/admin/tokens/import/check',
      {},
      {
        file: {
          name: 'xxe.xml',
          content:
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><KeyContainer>&e;</KeyContainer>',
        },
      },
    );
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).not.toContain('root:');
    await admin.upload('/admin/tokens/import/check', {}, {});
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).toContain('Choose a file to check.');
    await admin.post('/admin/tokens/import', { checked: 'v1.forged.x.y.z' });
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).toContain('has expired or belongs to another session');
    expect(await snapshot(server.core.database.db as never)).toBe(before);
  });

  it('refuses the helpdesk and the auditor (403, nothing written) and an upload without the CSRF token', async () => {
    const others = [new AdminBrowser(server), new AdminBrowser(server)];
    await others[0]!.signIn('hugo');
    await others[1]!.signIn('otto');
    const before = await settled();
    for (const other of others) {
      await other.open('/admin');
      expect(other.page.body).not.toContain('id="nav-token-import"');
      await other.upload(
        '/admin/tokens/import/check',
        {},
        { file: { name: 't.csv', content: fixture('csv/tokens.csv') } },
      );
      expect(other.page.status).toBe(403);
    }
    await admin.open('/admin/tokens/import');
    await admin.upload(
      '/admin/tokens/import/check',
      { _csrf: 'forged' },
      { file: { name: 't.csv', content: fixture('csv/tokens.csv') } },
    );
    expect(admin.page.status).toBe(403);
    expect(await snapshot(server.core.database.db as never)).toBe(before);
  });
});
