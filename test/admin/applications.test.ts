import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { AdminBrowser, snapshot, startAdminServer } from './support.js';

const repository = (file: string) =>
  readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
const OFFICE365 = repository('metadata/saml/office365.xml');
const CLIENT =
  'client_id: crm\nclient_secret: a-long-enough-client-secret\nredirect_uris:\n  - https://crm.example.test/callback\n';

describe('applications on the administration site', () => {
  let server: PolicyServer;
  let admin: AdminBrowser;
  let folder: string;
  const files = () => readdirSync(folder, { recursive: true }).map(String).sort();
  const reload = () => server.server.services()!.reload();

  beforeAll(async () => {
    server = await startAdminServer();
    folder = server.core.config.metadataDir;
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
  }, 180_000);
  afterAll(() => server?.close());

  it('adds a Microsoft 365 SP checked by the loader, written whole, live after the reload with the Graph command', async () => {
    await admin.open('/admin/applications');
    expect(admin.page.status).toBe(200);
    await admin.upload(
      '/admin/applications/upload',
      { kind: 'saml', name: 'm365', profile: 'office365' },
      { file: { name: 'federation.xml', content: OFFICE365 } },
    );
    expect(/id="upload-error"[\s\S]{0,600}/.exec(admin.page.body)?.[0] ?? '').toBe('');
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).toContain('id="upload-written"');
    expect(readFileSync(path.join(folder, 'saml', 'm365.xml'), 'utf8')).toBe(OFFICE365);
    expect(readFileSync(path.join(folder, 'saml', 'm365.yaml'), 'utf8')).toBe('profile: office365\n');
    expect(files().filter((f) => f.includes('.upload-'))).toEqual([]);
    const [event] = await server.core.audit.recent({ type: 'admin.application.upload' });
    expect(event).toMatchObject({
      details: { admin: 'ada', after: { kind: 'saml', name: 'm365', files: ['m365.yaml', 'm365.xml'] } },
    });
    await reload();
    await admin.open('/admin/applications');
    expect(admin.page.body).toContain('data-application="saml/m365" data-state="loaded"');
    expect(admin.page.body).toContain('urn:federation:MicrosoftOnline');
    expect(admin.page.body).toContain('New-MgDomainFederationConfiguration');
    expect(admin.page.body).toContain(`${server.url}/saml/sso`);
    const pem = await admin.browser.fetch(`${server.url}/admin/applications/saml/download/idp-certificate`);
    expect(pem.status).toBe(200);
    expect(pem.body).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
  });

  it('adds an OIDC client the provider validates, and never shows its secret', async () => {
    await admin.open('/admin/applications');
    await admin.upload(
      '/admin/applications/upload',
      { kind: 'oidc', name: 'crm' },
      { file: { name: 'crm.yaml', content: CLIENT } },
    );
    expect(admin.page.body).toContain('id="upload-written"');
    await reload();
    await admin.open('/admin/applications');
    expect(admin.page.body).toContain('data-application="oidc/crm" data-state="loaded"');
    expect(admin.page.body).toContain('https://crm.example.test/callback');
    expect(admin.page.body).not.toContain('a-long-enough-client-secret');
  });

  it('refuses hostile names, an existing file without replace, broken and hostile XML, writing nothing', async () => {
    await admin.open('/admin/applications');
    const before = files();
    const refused = async (fields: Record<string, string>, content: string, status = 400) => {
      await admin.upload(
        '/admin/applications/upload',
        { kind: 'saml', profile: 'generic', ...fields },
        { file: { name: 'sp.xml', content } },
      );
      expect(admin.page.status, JSON.stringify(fields)).toBe(status);
      expect(files()).toEqual(before);
    };
    for (const name of [
      '../evil',
      '../../etc/passwd',
      '/tmp/abs',
      'a\0b',
      '.hidden',
      'x'.repeat(65),
      '',
      'sp.xml',
      'a/b',
    ])
      await refused({ name }, OFFICE365);
    expect(admin.page.body).toContain('That name cannot be used');
    await refused({ name: 'm365' }, OFFICE365);
    expect(admin.page.body).toContain('tick Replace');
    await refused(
      { name: 'broken' },
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:SPSSODescriptor>',
    );
    expect(admin.page.body).toContain('The file would not load');
    await refused(
      { name: 'xxe' },
      '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
    );
    expect(admin.page.body).toContain('document type declaration');
    expect(admin.page.body).not.toContain('root:');
    await refused(
      { name: 'laughs' },
      `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">${'<!ENTITY b "&a;&a;">'}]><l>&b;</l>`,
    );
    await refused({ name: 'huge' }, `<x>${'a'.repeat(1_100_000)}</x>`, 413);
    await refused({ name: 'other' }, OFFICE365);
    expect(admin.page.body).toContain('already registered by m365.xml');
    await admin.upload(
      '/admin/applications/upload',
      { kind: 'oidc', name: 'bad-client' },
      {
        file: { name: 'c.yaml', content: 'client_id: bad\nredirect_uris: [not-a-url]\n' },
      },
    );
    expect(admin.page.status).toBe(400);
    expect(files()).toEqual(before);
  });

  it('replaces an existing SP only when asked', async () => {
    await admin.open('/admin/applications');
    await admin.upload(
      '/admin/applications/upload',
      { kind: 'saml', name: 'm365', profile: 'office365', replace: 'on' },
      { file: { name: 'sp.xml', content: OFFICE365 } },
    );
    expect(admin.page.body).toContain('id="upload-written"');
  });

  it('shows a file the loader kept out with its reason', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(folder, 'saml', 'dropped.xml'), '<not-metadata/>');
    writeFileSync(path.join(folder, 'saml', 'dropped.yaml'), 'profile: generic\n');
    await reload();
    await admin.open('/admin/applications');
    expect(admin.page.body).toContain('data-application="saml/dropped" data-state="error"');
    expect(admin.page.body).toContain('not SAML metadata');
  });

  it('lets the auditor read but not upload, keeps the helpdesk out, refuses a forged CSRF token', async () => {
    const auditor = new AdminBrowser(server);
    await auditor.signIn('otto');
    const helpdesk = new AdminBrowser(server);
    await helpdesk.signIn('hugo');
    await server.core.attempts.flush();
    const before = { files: files(), db: await snapshot(server.core.database.db as never) };
    await auditor.open('/admin/applications');
    expect(auditor.page.status).toBe(200);
    expect(auditor.page.body).toContain('data-application="saml/m365"');
    expect(auditor.page.body).not.toContain('id="upload-form"');
    await auditor.upload(
      '/admin/applications/upload',
      { kind: 'saml', name: 'aud', profile: 'generic' },
      { file: { name: 'sp.xml', content: OFFICE365 } },
    );
    expect(auditor.page.status).toBe(403);
    await helpdesk.open('/admin/applications');
    expect(helpdesk.page.status).toBe(403);
    await admin.open('/admin/applications');
    await admin.upload(
      '/admin/applications/upload',
      { _csrf: 'forged', kind: 'saml', name: 'forged', profile: 'generic' },
      { file: { name: 'sp.xml', content: OFFICE365 } },
    );
    expect(admin.page.status).toBe(403);
    expect({ files: files(), db: await snapshot(server.core.database.db as never) }).toEqual(before);
  });
});
