import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../src/attempts/results.js';
import { AUTHENTICATION_KIND } from '../../src/policy/authentication/rule.js';
import { simulateLogin } from '../../src/policy/authentication/simulate.js';
import { proposedRule } from '../../src/policy/authentication/what-if.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { composePolicySimulator } from '../../src/server/compose-simulator.js';
import type { SignInAttemptRow } from '../../src/store/tables.js';
import { PASSWORD, type PolicyServer } from '../policy/support.js';
import { BACKENDS } from '../support/databases.js';
import { AdminBrowser, snapshot, startAdminServer } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Addresses whose country the bundled database knows, and private ones (no country). */
const ADDRESSES = {
  NL: ['145.100.1.1', '193.0.6.139'],
  US: ['8.8.8.8'],
  JP: ['133.11.0.1'],
  BR: ['200.160.0.8'],
  private: ['10.1.2.3', '192.168.1.1'],
} as const;
const RESULTS: AttemptResult[] = ['success', 'wrong_password', 'wrong_code', 'denied', 'success'];
/** ada, hugo and otto have a TOTP token; paula has none; mallory is no one (a name typed). */
const USERS = ['ada', 'hugo', 'otto', 'paula', 'mallory'];
const DOORS = [
  ['oidc', 'portal'],
  ['saml', 'office365'],
  ['radius', 'vpn'],
] as const;

/** The map's shaded countries and their counts, as the SVG's link titles say them. */
const shaded = (body: string) =>
  new Map(
    [...body.matchAll(/data-country="([A-Z]{2})"><title>[^<]*: ([\d,]+) attempts?</g)].map((m) => [
      m[1]!,
      Number(m[2]!.replace(/,/g, '')),
    ]),
  );

/** The rows of one table of the page: data-key and the last cell's number. */
const tableCounts = (body: string, id: string) => {
  const table = new RegExp(`<table[^>]*id="${id}"[\\s\\S]*?</table>`).exec(body)?.[0] ?? '';
  return new Map(
    [...table.matchAll(/<tr data-key="([^"]*)">([\s\S]*?)<\/tr>/g)].map((m) => {
      const cells = [...m[2]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, ''));
      return [m[1]!.replace(/&#39;/g, "'"), Number(cells[1])] as const;
    }),
  );
};

describe.each(BACKENDS)('the monitoring page (%s)', (backend) => {
  let server: PolicyServer;
  let ada: AdminBrowser;
  let now: number;

  /** A count per country in plain SQL for a WHERE clause over the attempts. */
  const sqlByCountry = async (where: string) => {
    const { rows } = await sql<{ country: string; n: number | string }>`select country, count(*) as n
      from sign_in_attempts where ${sql.raw(where)} and country is not null group by country`.execute(
      server.core.database.db,
    );
    return new Map(rows.map((r) => [r.country, Number(r.n)]));
  };
  const sqlCount = async (where: string) => {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from sign_in_attempts
      where ${sql.raw(where)}`.execute(server.core.database.db);
    return Number(rows[0]!.n);
  };

  beforeAll(async () => {
    server = await startAdminServer({ backend });
    await server.addUser('paula', PASSWORD, { groups: ['Travellers'] });
    now = server.clock();
    // 40 days of attempts, one every 5 hours (half past, clear of the period's bounds): every
    // address, result, user and door in turn.
    const all = Object.values(ADDRESSES).flat();
    const rows: SignInAttemptRow[] = [];
    for (let n = 0; n < (40 * 24) / 5; n++) {
      const address = all[n % all.length]!;
      const [door, application] = DOORS[n % DOORS.length]!;
      const result = RESULTS[n % RESULTS.length]!;
      const user = USERS[Math.floor(n / all.length) % USERS.length]!;
      const at = now - 40 * DAY + n * 5 * HOUR + HOUR / 2;
      rows.push({
        id: `${at.toString(36)}${String(n).padStart(6, '0')}`,
        at,
        user_id: null,
        user_name: user,
        door,
        application,
        address,
        network: null,
        country: server.core.geo.country(address),
        first_seen: n % 7 === 0 ? 1 : 0,
        result,
        reason: null,
        rule: result === 'success' ? 'default' : null,
        action: result === 'success' ? 'mfa' : null,
        method: result === 'success' ? 'totp' : 'password',
      });
    }
    await server.core.repositories.signInAttempts.insertMany(rows);
    ada = new AdminBrowser(server);
    await ada.signIn('ada');
  });
  afterAll(() => server?.close());

  const last30 = () => `at >= ${now - 30 * DAY}`;

  it('shades the countries SQL counts for the filter, and drills down into the Netherlands with SQL’s counts', async () => {
    const page = await ada.open('/admin/monitoring?period=30d');
    expect(page.status).toBe(200);
    expect(page.body).toContain('class="world-map"');
    const map = shaded(page.body);
    expect([...map.keys()].sort()).toEqual(['BR', 'JP', 'NL', 'US']);
    expect(map).toEqual(await sqlByCountry(`at >= ${now - 30 * DAY}`));
    expect(page.body).not.toContain('id="drill-down"');

    const href = /<a href="([^"]+)"[^>]*data-country="NL"/.exec(page.body)![1]!.replace(/&amp;/g, '&');
    expect(href).toContain('country=NL');
    const drill = await ada.open(href);
    expect(drill.body).toContain('id="drill-down"');
    const nl = `${last30()} and country = 'NL'`;
    const total = await sqlCount(nl);
    expect(drill.body).toContain(`${total} attempts match the filter.`);
    const byResult = await sql<{ result: string; n: number | string }>`select result, count(*) as n
      from sign_in_attempts where ${sql.raw(nl)} group by result`.execute(server.core.database.db);
    expect(tableCounts(drill.body, 'drill-results')).toEqual(
      new Map(byResult.rows.map((r) => [r.result, Number(r.n)])),
    );
    const byUser = await sql<{ user_name: string; n: number | string }>`select user_name, count(*) as n
      from sign_in_attempts where ${sql.raw(nl)} group by user_name`.execute(server.core.database.db);
    expect(tableCounts(drill.body, 'drill-users')).toEqual(
      new Map(byUser.rows.map((r) => [r.user_name, Number(r.n)])),
    );
    const hours = tableCounts(drill.body, 'drill-hours');
    expect([...hours.values()].reduce((a, b) => a + b, 0)).toBe(total);
    // The grid holds that country's attempts only; the map still shows every country.
    expect(drill.body).toContain(`${total} rows`);
    expect(shaded(drill.body)).toEqual(map);
  });

  it('combines the filters: the map, the grid and the export count what SQL counts', async () => {
    for (const [query, where] of [
      ['period=30d&result=failures', `${last30()} and result <> 'success'`],
      ['period=30d&result=failures&door=radius', `${last30()} and result <> 'success' and door = 'radius'`],
      ['period=7d&user=mallory', `at >= ${now - 7 * DAY} and user_name = 'mallory'`],
      [
        'period=90d&application=office365&method=password',
        `application = 'office365' and method = 'password'`,
      ],
      ['period=30d&rule=default&country=US', `${last30()} and rule = 'default' and country = 'US'`],
    ] as const) {
      const page = await ada.open(`/admin/monitoring?${query}`);
      expect(page.status, query).toBe(200);
      const count = await sqlCount(where);
      expect(page.body, query).toContain(count === 1 ? '1 row ' : `${count} rows`);
      if (!query.includes('country=')) expect(shaded(page.body), query).toEqual(await sqlByCountry(where));
      const csv = await ada.open(`/admin/monitoring.csv?${query}`);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = csv.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      expect(lines[0]).toBe('Time (UTC),User,Result,Country,Door,Application,Address');
      expect(lines.length - 1, query).toBe(count);
    }
    // A value outside the lists is dropped, not an error: the default view.
    const odd = await ada.open('/admin/monitoring?period=forever&result=%3Cscript%3E&country=XX1');
    expect(odd.status).toBe(200);
    expect(odd.body).not.toContain('<script>');
  });

  it('filtering to the failures of the last day changes the map', async () => {
    const all = shaded((await ada.open('/admin/monitoring?period=30d')).body);
    const failures = shaded((await ada.open('/admin/monitoring?period=24h&result=failures')).body);
    expect(failures).toEqual(await sqlByCountry(`at >= ${now - DAY} and result <> 'success'`));
    expect(failures).not.toEqual(all);
  });

  it('the dry run’s numbers equal a replay of the same attempts through the policy simulator', async () => {
    const { core } = server;
    const store = new PolicyStore(core.policies, () => core.users.groupNames());
    // A rule before the proposal: RADIUS needs only the password (the proposal never reaches it).
    await store.put(AUTHENTICATION_KIND, 'radius-password', {
      when: { doors: ['radius'] },
      outcome: { action: 'allow' },
    });
    for (const [action, except] of [
      ['deny', ''],
      ['mfa', ''],
      ['deny', 'Helpdesk'],
    ] as const) {
      const page = await ada.open(`/admin/monitoring/what-if?country=NL&action=${action}&except=${except}`);
      expect(page.status).toBe(200);
      const shown = {
        attempts: Number(/data-attempts="(\d+)"/.exec(page.body)![1]),
        denied: Number(/data-denied="(\d+)"/.exec(page.body)![1]),
        steppedUp: Number(/data-stepped-up="(\d+)"/.exec(page.body)![1]),
      };
      const users = tableCounts(page.body, 'what-if-users');

      // The replay: the proposed rule stored (enabled, last), every attempt simulated before and after.
      const attempts = await core.database.db
        .selectFrom('sign_in_attempts')
        .selectAll()
        .where('country', '=', 'NL')
        .where('at', '>=', server.clock() - 30 * DAY)
        .execute();
      const simulator = composePolicySimulator(core);
      const replay = async () => {
        const outcomes: Array<{ user: string; action: string; rule: string } | null> = [];
        for (const a of attempts) {
          const request = {
            username: a.user_name,
            address: a.address,
            door: a.door,
            application: a.application ?? '',
            at: Number(a.at),
          };
          const result = await simulateLogin(simulator, request).catch(() => null);
          outcomes.push(result && { user: result.user.username, action: result.action, rule: result.rule });
        }
        return outcomes;
      };
      const before = await replay();
      const proposal = { country: 'NL', action, exceptGroups: except ? [except] : [] };
      await store.put(AUTHENTICATION_KIND, 'replayed-proposal', proposedRule(proposal, true));
      const after = await replay();
      await store.remove(AUTHENTICATION_KIND, 'replayed-proposal');
      let denied = 0;
      let steppedUp = 0;
      const perUser = new Map<string, number>();
      after.forEach((outcome, i) => {
        const earlier = before[i];
        if (!outcome || !earlier || outcome.rule !== 'replayed-proposal') return;
        const d = outcome.action === 'deny' && earlier.action !== 'deny';
        const s = outcome.action === 'mfa' && earlier.action === 'allow';
        if (d) denied++;
        if (s) steppedUp++;
        if (d || s) perUser.set(outcome.user, (perUser.get(outcome.user) ?? 0) + 1);
      });
      expect(shown.attempts).toBe(attempts.length);
      expect({ denied: shown.denied, steppedUp: shown.steppedUp }, `${action} except ${except}`).toEqual({
        denied,
        steppedUp,
      });
      expect(new Map([...users].map(([u]) => [u, perUser.get(u)])).size).toBe(perUser.size);
      if (action === 'deny' && !except) expect(denied).toBeGreaterThan(0);
      if (action === 'mfa') expect(steppedUp).toBeGreaterThan(0); // paula has no token: allowed today
      if (except) expect(users.has('hugo')).toBe(false);
    }
    await store.remove(AUTHENTICATION_KIND, 'radius-password');
  });

  it('auditors and the helpdesk read the page and run the dry run; creating the rule needs policies.write', async () => {
    for (const name of ['otto', 'hugo']) {
      const reader = new AdminBrowser(server);
      await reader.signIn(name);
      expect((await reader.open('/admin/monitoring?country=NL')).status).toBe(200);
      expect((await reader.open('/admin/monitoring.csv')).status).toBe(200);
      const dry = await reader.open('/admin/monitoring/what-if?country=NL&action=deny');
      expect(dry.status).toBe(200);
      expect(dry.body).toContain('id="what-if-result"');
      expect(dry.body).not.toContain('id="what-if-create"');
      await server.core.attempts.flush(); // the sign-in's own attempts, written in the background
      const before = await snapshot(server.core.database.db as never);
      const refused = await reader.post('/admin/monitoring/what-if', {
        country: 'NL',
        action: 'deny',
        except: '',
      });
      expect(refused.status).toBe(403);
      expect(await snapshot(server.core.database.db as never)).toBe(before);
    }
  });

  it('one click creates the proposed rule, disabled and audited; unknown groups are refused', async () => {
    const dry = await ada.open('/admin/monitoring/what-if?country=BR&action=mfa&except=Travellers');
    expect(dry.body).toContain('id="what-if-create"');
    const created = await ada.post('/admin/monitoring/what-if', {
      country: 'BR',
      action: 'mfa',
      except: 'Travellers',
    });
    expect(created.status).toBe(200);
    expect(created.body).toContain('id="what-if-created"');
    const stored = await server.core.policies.get(AUTHENTICATION_KIND, 'what-if-mfa-br');
    expect(stored?.document).toMatchObject({
      enabled: false,
      when: { countries: ['BR'] },
      unless: { groups: ['Travellers'] },
      outcome: { action: 'mfa' },
    });
    const events = await server.core.audit.search(
      { type: 'admin.policy.create' },
      { column: 'at', direction: 'desc' },
      5,
      0,
    );
    expect(events[0]?.details).toMatchObject({ admin: 'ada', after: { name: 'what-if-mfa-br' } });
    // The same proposal again gets a name of its own.
    await ada.open('/admin/monitoring/what-if?country=BR&action=mfa&except=Travellers');
    await ada.post('/admin/monitoring/what-if', { country: 'BR', action: 'mfa', except: 'Travellers' });
    expect(await server.core.policies.get(AUTHENTICATION_KIND, 'what-if-mfa-br-2')).toBeDefined();

    const unknown = await ada.open('/admin/monitoring/what-if?country=BR&action=deny&except=Nobody%20Here');
    expect(unknown.body).toContain('id="what-if-unknown"');
    expect(unknown.body).not.toContain('id="what-if-create"');
    const bad = await ada.open('/admin/monitoring/what-if?country=ZZ&action=deny');
    expect(bad.status).toBe(400);
  });
});
