import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHENTICATION_KIND } from '../../src/policy/authentication/rule.js';
import { administratorPolicyStore } from '../../src/policy/policy-store.js';
import { ACR_PASSWORD, type PolicyServer, SignIn } from '../policy/support.js';
import { formField } from '../support/browser.js';
import { runCli, writeConfig } from '../support/cli.js';
import { AdminBrowser, snapshot, startAdminServer } from './support.js';

/** The text of the error shown at a form's field (its input's id is `f-` + the name, `.` as `_`). */
const fieldError = (body: string, name: string) =>
  new RegExp(`id="f-${name.replace(/[^\w-]/g, '_')}-error">([^<]*)<`).exec(body)?.[1];
/** The rules in the page's order, with their state. */
const listedRules = (body: string) =>
  [...body.matchAll(/<tr data-rule="([^"]+)" data-enabled="(true|false)">/g)].map((m) => `${m[1]}:${m[2]}`);
/** The problems a form page shows (none after a save). */
const shownProblems = (body: string) =>
  [...body.matchAll(/class="(?:field|general)-error"[^>]*>([^<]*)</g)].map((m) => m[1]);
const htmlText = (html: string) =>
  html
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('policies in the administration site: forms, order, stale versions, roles, the simulator', () => {
  const masterKey = randomBytes(32).toString('base64');
  let server: PolicyServer;
  let admin: AdminBrowser;
  let store: ReturnType<typeof administratorPolicyStore>;
  const stored = async (kind: string, name: string) => (await store.get(kind, name)).document;
  const adminEvents = async (type: string) => server.core.audit.recent({ type });

  beforeAll(async () => {
    server = await startAdminServer({ config: { secrets: { masterKey } } });
    await server.addTotpUser('tess', { groups: ['Testers'] });
    store = administratorPolicyStore(server.core);
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
  }, 180_000);
  afterAll(() => server?.close());

  it('creates a rule from the form, stored as the CLI stores it, and shows it again in its form', async () => {
    await admin.open('/admin/policies/authentication/new');
    expect(admin.page.status).toBe(200);
    // The conditions' inputs come from the registry (one per condition), the outcome's from its variants.
    for (const name of ['when.networks', 'when.countries', 'when.time.timeZone', 'unless.groups', 'outcome'])
      expect(admin.page.body).toContain(`name="${name}"`);
    // Groups with a default are open; optional ones (unless, time) open only once they hold something.
    expect(admin.page.body).toContain('<details class="policy-group" id="f-when" open>');
    expect(admin.page.body).toContain('<details class="policy-group" id="f-unless">');
    await admin.post('/admin/policies/authentication/new', {
      'policy-name': 'office',
      description: 'The office network',
      'when.networks': '10.0.0.0/8\n192.0.2.0/24',
      'when.groups': 'Testers',
      'when.time.days': 'mon, tue',
      'when.time.from': '08:00',
      outcome: 'mfa',
      'outcome~mfa:outcome.methods': 'totp',
    });
    expect(admin.page.url).toMatch(/\/admin\/policies\?done=saved&name=office/);
    expect(shownProblems(admin.page.body)).toEqual([]);
    expect(admin.page.body).toContain('Saved office.');
    expect(await stored(AUTHENTICATION_KIND, 'office')).toEqual({
      description: 'The office network',
      enabled: true,
      when: {
        networks: ['10.0.0.0/8', '192.0.2.0/24'],
        groups: ['Testers'],
        time: { days: ['mon', 'tue'], from: '08:00', to: '24:00', timeZone: 'UTC' },
      },
      outcome: { action: 'mfa', methods: ['totp'] },
    });
    const [event] = await adminEvents('admin.policy.set');
    expect(event).toMatchObject({
      outcome: 'success',
      details: {
        admin: 'ada',
        before: null,
        after: {
          kind: 'authentication',
          name: 'office',
          policy: { outcome: { action: 'mfa', methods: ['totp'] } },
        },
      },
    });
    await admin.open('/admin/policies/authentication/office/edit');
    expect(formField(admin.page.body, 'when.networks')).toBeUndefined(); // a textarea, not an input
    expect(admin.page.body).toMatch(/name="when.networks"[^>]*>10.0.0.0\/8\n192.0.2.0\/24<\/textarea>/);
    expect(admin.page.body).toMatch(/<option value="mfa" selected>/);
    expect(admin.page.body).toContain('<details class="policy-group" id="f-when_time" open>');
  });

  it('shows every problem at its field, keeps what was typed, and stores nothing', async () => {
    await server.core.attempts.flush(); // the sign-in's attempts, which a timer writes
    const before = await snapshot(server.core.database.db as never);
    await admin.open('/admin/policies/authentication/new');
    await admin.post('/admin/policies/authentication/new', {
      'policy-name': 'bad name!',
      'when.networks': '10.0.0.0/33',
      'when.countries': 'XX',
      'when.groups': 'Nobody Here',
      'when.time.timeZone': 'Mars/Olympus',
      outcome: 'mfa',
      'outcome~mfa:outcome.methods': 'fax',
    });
    expect(admin.page.status).toBe(400);
    // The name first: the store checks it before the document.
    expect(fieldError(admin.page.body, 'name')).toMatch(/1 to 64 letters/);
    await admin.post('/admin/policies/authentication/new', {
      'policy-name': 'bad',
      'when.networks': '10.0.0.0/33',
      'when.countries': 'XX',
      'when.time.timeZone': 'Mars/Olympus',
      outcome: 'mfa',
      'outcome~mfa:outcome.methods': 'fax',
    });
    expect(admin.page.status).toBe(400);
    const body = admin.page.body;
    expect(htmlText(fieldError(body, 'when.networks')!)).toMatch(
      /"10.0.0.0\/33" is not an IP address or CIDR range/,
    );
    expect(htmlText(fieldError(body, 'when.countries')!)).toMatch(/"XX" is not an ISO 3166 country code/);
    expect(htmlText(fieldError(body, 'when.time.timeZone')!)).toMatch(/not an IANA time zone/);
    expect(fieldError(body, 'outcome~mfa:outcome.methods')).toBeDefined();
    expect(body).toMatch(/name="when.networks"[^>]*>10.0.0.0\/33<\/textarea>/);
    // What only the store can tell, at its field too.
    await admin.post('/admin/policies/authentication/new', {
      'policy-name': 'bad',
      'when.groups': 'Nobody Here',
      outcome: 'mfa',
      'outcome~mfa:outcome.passcodePolicy': 'missing',
    });
    expect(htmlText(fieldError(admin.page.body, 'when.groups')!)).toMatch(/unknown group "Nobody Here"/);
    expect(htmlText(fieldError(admin.page.body, 'outcome~mfa:outcome.passcodePolicy')!)).toMatch(
      /no passcode policy "missing"/,
    );
    // And an existing name.
    await admin.post('/admin/policies/authentication/new', { 'policy-name': 'office', outcome: 'allow' });
    expect(admin.page.status).toBe(409);
    expect(htmlText(fieldError(admin.page.body, 'name')!)).toMatch(/named "office" exists already/);
    expect(await snapshot(server.core.database.db as never)).toBe(before);
  });

  it('edits Token, Passcode and Load Balancing Policies in forms, with the same errors as the CLI', async () => {
    await admin.open('/admin/policies/token/new');
    await admin.post('/admin/policies/token/new', {
      'policy-name': 'authenticator',
      document: 'totp',
      'document~totp:displayName': 'Authenticator app',
      'document~totp:digits': 'eight',
    });
    expect(admin.page.status).toBe(400);
    expect(fieldError(admin.page.body, 'document~totp:digits')).toMatch(/expected number/);
    await admin.post('/admin/policies/token/new', {
      'policy-name': 'authenticator',
      document: 'totp',
      'document~totp:displayName': 'Authenticator app',
      'document~totp:digits': '8',
      'document~totp:selfEnrol': 'true',
    });
    expect(shownProblems(admin.page.body)).toEqual([]);
    expect(admin.page.body).toContain('Saved authenticator.');
    expect(await stored('token', 'authenticator')).toEqual({
      displayName: 'Authenticator app',
      type: 'totp',
      algorithm: 'SHA1',
      digits: 8,
      period: 30,
      selfEnrol: true,
      hardware: false,
    });

    await admin.open('/admin/policies/passcode/new');
    await admin.post('/admin/policies/passcode/new', {
      'policy-name': 'short',
      length: '4',
      templates: 'en:\n  sms: Your code is ready',
    });
    expect(admin.page.status).toBe(400);
    expect(fieldError(admin.page.body, 'length')).toMatch(/at least 20 bits/);
    await admin.post('/admin/policies/passcode/new', {
      'policy-name': 'short',
      length: '7',
      channels: 'sms',
      templates: 'en:\n  sms: Your code is ready',
    });
    expect(htmlText(fieldError(admin.page.body, 'templates')!)).toMatch(/must contain \{code\}/);
    await admin.post('/admin/policies/passcode/new', {
      'policy-name': 'short',
      length: '7',
      channels: 'sms',
      templates: 'en:\n  sms: "Your code: {code}"',
    });
    expect(shownProblems(admin.page.body)).toEqual([]);
    expect(admin.page.body).toContain('Saved short.');
    expect(await stored('passcode', 'short')).toMatchObject({
      length: 7,
      channels: ['sms'],
      templates: { en: { sms: 'Your code: {code}' } },
    });

    await admin.open('/admin/policies/load-balancing/new');
    await admin.post('/admin/policies/load-balancing/new', {
      'policy-name': 'eu',
      channels: 'sms',
      members: '- gateway: a\n- gateway: a',
    });
    expect(admin.page.status).toBe(400);
    expect(fieldError(admin.page.body, 'members')).toMatch(/listed twice/);
    await admin.post('/admin/policies/load-balancing/new', {
      'policy-name': 'eu',
      channels: 'sms',
      members: '- gateway: a\n  priority: 1\n- gateway: b',
      'circuitBreaker.failures': '5',
    });
    expect(shownProblems(admin.page.body)).toEqual([]);
    expect(admin.page.body).toContain('Saved eu.');
    expect(await stored('load-balancing', 'eu')).toMatchObject({
      strategy: 'priority',
      channels: ['sms'],
      members: [
        { gateway: 'a', priority: 1, weight: 1 },
        { gateway: 'b', priority: 0, weight: 1 },
      ],
      circuitBreaker: { failures: 5, coolDownSeconds: 30 },
    });
    // The same document through the CLI's store raises the same message the form showed.
    await expect(store.put('passcode', 'x', { length: 4 })).rejects.toThrow(
      /passcode.x.length: .*at least 20 bits/,
    );
  });

  it('refuses a form read before someone else changed the policy, writing nothing', async () => {
    await admin.open('/admin/policies/authentication/office/edit');
    const version = formField(admin.page.body, 'version')!;
    // Meanwhile, as `passgate policy set` would.
    await store.put(AUTHENTICATION_KIND, 'office', {
      description: 'changed by the CLI',
      outcome: { action: 'allow' },
    });
    await admin.post('/admin/policies/authentication/office/edit', {
      version,
      description: 'my edit',
      outcome: 'deny',
    });
    expect(admin.page.status).toBe(409);
    expect(admin.page.body).toContain('data-message="stale"');
    expect(await stored(AUTHENTICATION_KIND, 'office')).toMatchObject({ description: 'changed by the CLI' });
    // A list action carrying the old version is refused the same way.
    const page = await admin.open('/admin/policies');
    const toggle =
      /action="\/admin\/policies\/authentication\/office\/enabled"[\s\S]*?name="version" value="(\d+)"/.exec(
        page.body,
      )![1]!;
    await store.put(AUTHENTICATION_KIND, 'office', { description: 'again', outcome: { action: 'allow' } });
    await admin.post('/admin/policies/authentication/office/enabled', { version: toggle, enabled: 'false' });
    expect(admin.page.status).toBe(409);
    expect(admin.page.body).toContain('id="policies-problem"');
    expect(await stored(AUTHENTICATION_KIND, 'office')).toMatchObject({
      enabled: true,
      description: 'again',
    });
    await store.remove(AUTHENTICATION_KIND, 'office');
  });

  it('shows a store that fails as an error, not as a policy that is not there, and writes nothing', async () => {
    await store.put(AUTHENTICATION_KIND, 'outage', { outcome: { action: 'allow' } });
    await admin.open('/admin/policies/authentication/outage/edit');
    const version = formField(admin.page.body, 'version')!;
    const { db } = server.core.database;
    await sql`alter table policies rename to policies_away`.execute(db);
    try {
      await admin.post('/admin/policies/authentication/outage/edit', { version, outcome: 'deny' });
    } finally {
      await sql`alter table policies_away rename to policies`.execute(db);
    }
    const stillStored = await stored(AUTHENTICATION_KIND, 'outage');
    await store.remove(AUTHENTICATION_KIND, 'outage');
    expect(admin.page.status).toBe(500);
    expect(admin.page.body).not.toContain('data-message="notFound"');
    expect(admin.page.body).not.toMatch(/no such table|at \S+\.js:\d+/);
    expect(stillStored).toMatchObject({ outcome: { action: 'allow' } });
  });

  it('moves and disables rules, and a real sign-in and the simulator follow at once', async () => {
    await store.put(AUTHENTICATION_KIND, 'testers-password', {
      when: { groups: ['Testers'] },
      outcome: { action: 'allow' },
    });
    await store.put(AUTHENTICATION_KIND, 'testers-denied', {
      description: 'testers may not sign in',
      when: { groups: ['Testers'], doors: ['oidc'] },
      outcome: { action: 'deny' },
    });
    const signIn = async () => {
      const attempt = await SignIn.start(await server.rp());
      await attempt.password('tess');
      return attempt;
    };
    const simulated = async () => {
      await admin.open('/admin/policies?simulate=1&user=tess&ip=127.0.0.1&door=oidc');
      return /id="simulation" role="status" data-rule="([^"]+)" data-action="(\w+)"/
        .exec(admin.page.body)
        ?.slice(1);
    };
    expect(await simulated()).toEqual(['testers-password', 'allow']);
    expect(await (await signIn()).claims()).toMatchObject({ acr: ACR_PASSWORD });

    await admin.open('/admin/policies');
    expect(listedRules(admin.page.body)).toEqual(['testers-password:true', 'testers-denied:true']);
    const version =
      /action="\/admin\/policies\/authentication\/testers-denied\/move"[\s\S]*?name="version" value="([^"]+)"/.exec(
        admin.page.body,
      )![1]!;
    await admin.post('/admin/policies/authentication/testers-denied/move', { version, direction: 'up' });
    expect(admin.page.body).toContain('Moved testers-denied.');
    expect(listedRules(admin.page.body)).toEqual(['testers-denied:true', 'testers-password:true']);
    expect(await simulated()).toEqual(['testers-denied', 'deny']);
    expect(admin.page.body).toContain('rule &#34;testers-denied&#34; matched: testers may not sign in');
    const denied = await signIn();
    expect(denied.page.status).toBe(403);
    expect((await server.logins('tess'))[0]).toMatchObject({
      outcome: 'denied',
      details: { rule: 'testers-denied' },
    });
    const [moved] = await adminEvents('admin.policy.move');
    expect(moved?.details).toMatchObject({
      before: { order: ['testers-password', 'testers-denied'] },
      after: { order: ['testers-denied', 'testers-password'] },
    });

    await admin.open('/admin/policies');
    const ruleVersion =
      /action="\/admin\/policies\/authentication\/testers-denied\/enabled"[\s\S]*?name="version" value="(\d+)"/.exec(
        admin.page.body,
      )![1]!;
    await admin.post('/admin/policies/authentication/testers-denied/enabled', {
      version: ruleVersion,
      enabled: 'false',
    });
    expect(admin.page.body).toContain('Disabled testers-denied.');
    expect(listedRules(admin.page.body)).toEqual(['testers-denied:false', 'testers-password:true']);
    expect(await simulated()).toEqual(['testers-password', 'allow']);
    expect(await (await signIn()).claims()).toMatchObject({ acr: ACR_PASSWORD });
    expect((await adminEvents('admin.policy.disable'))[0]?.details).toMatchObject({
      before: { policy: { enabled: true } },
      after: { policy: { enabled: false } },
    });
  });

  it('simulates exactly what `passgate policy test` prints for the same inputs', async () => {
    const { file } = writeConfig({
      database: { url: server.config.database.url },
      secrets: { masterKey },
      passwords: { scryptCost: 10 },
    });
    const inputs: Array<{ user: string; ip: string; door: string; at: string } & Record<string, string>> = [
      { user: 'tess', ip: '127.0.0.1', door: 'oidc', at: '2026-11-25T10:00:00Z' },
      {
        user: 'ada',
        ip: '2001:db8::7',
        door: 'saml',
        app: 'payroll',
        at: '2026-11-29T22:30:00Z',
        acr: 'mfa',
      },
      { user: 'tess', ip: '194.25.2.129', door: 'radius', at: '2026-11-25T10:00:00Z', device: 'd1' },
    ];
    for (const input of inputs) {
      const args = [
        'policy',
        'test',
        '--user',
        input.user,
        '--ip',
        input.ip,
        '--door',
        input.door,
        '--at',
        input.at,
      ];
      if (input.app) args.push('--app', input.app);
      if (input.acr) args.push('--acr', input.acr);
      if (input.device) args.push('--device', input.device);
      const cli = await runCli([...args, '--json', '--config', file]);
      expect(cli.code, cli.stderr).toBe(0);
      await admin.open(`/admin/policies?${new URLSearchParams({ simulate: '1', ...input })}`);
      const shown = /<pre id="simulation-json">([\s\S]*?)<\/pre>/.exec(admin.page.body)?.[1];
      expect(JSON.parse(htmlText(shown!))).toEqual(JSON.parse(cli.stdout));
    }
    await admin.open('/admin/policies?simulate=1&user=nobody&ip=10.0.0.1');
    expect(admin.page.body).toMatch(/id="sim-user-error">no user &#34;nobody&#34;</);
    await admin.open('/admin/policies?simulate=1&user=tess&ip=not-an-address&at=yesterday');
    expect(admin.page.body).toMatch(/id="sim-at-error">/);
  });

  it('lets auditors read but not change, refuses the helpdesk 403, and refuses a post without CSRF; nothing written', async () => {
    const auditor = new AdminBrowser(server);
    await auditor.signIn('otto');
    const helpdesk = new AdminBrowser(server);
    await helpdesk.signIn('hugo');
    await server.core.attempts.flush(); // the sign-ins' attempts, written by a timer
    await store.put(AUTHENTICATION_KIND, 'kept', { outcome: { action: 'allow' } });
    const kept = await store.get(AUTHENTICATION_KIND, 'kept');
    const before = await snapshot(server.core.database.db as never);
    const form = { version: String(kept.updatedAt), enabled: 'false', outcome: 'deny' };

    await auditor.open('/admin/policies');
    expect(auditor.page.status).toBe(200);
    expect(listedRules(auditor.page.body)).toContain('kept:true');
    expect(auditor.page.body).not.toContain('/kept/enabled');
    await auditor.open('/admin/policies/authentication/kept/edit');
    expect(auditor.page.status).toBe(200);
    expect(auditor.page.body).toContain('<fieldset class="policy-fields" disabled>');
    expect(auditor.page.body).not.toContain('id="policy-save"');
    for (const path of [
      '/admin/policies/authentication/kept/edit',
      '/admin/policies/authentication/kept/enabled',
    ])
      expect((await auditor.post(path, form)).status).toBe(403);
    expect((await auditor.open('/admin/policies/authentication/new')).status).toBe(403);

    expect((await helpdesk.open('/admin/policies')).status).toBe(403);
    expect(helpdesk.page.body).toContain('data-code="ADMIN_FORBIDDEN"');
    expect((await helpdesk.open('/admin/policies?simulate=1&user=ada&ip=10.0.0.1')).status).toBe(403);
    await helpdesk.open('/admin');
    for (const path of [
      '/admin/policies/authentication/kept/edit',
      '/admin/policies/authentication/kept/enabled',
      '/admin/policies/authentication/kept/remove',
      '/admin/policies/authentication/new',
    ])
      expect((await helpdesk.post(path, { ...form, 'policy-name': 'sneaky' })).status).toBe(403);

    await admin.open('/admin/policies');
    for (const csrf of ['', 'forged'])
      expect(
        (await admin.post('/admin/policies/authentication/kept/enabled', { ...form, _csrf: csrf })).status,
      ).toBe(403);
    expect(await snapshot(server.core.database.db as never)).toBe(before);
    expect(await stored(AUTHENTICATION_KIND, 'kept')).toMatchObject({ enabled: true });
  });
});
