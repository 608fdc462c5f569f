import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { runCli, writeConfig } from '../support/cli.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
// Nothing listens there: a passcode that really went out would leave a failed delivery attempt.
const smsGateway = (name: string) => ({
  type: 'http',
  name,
  channels: ['sms'],
  url: 'http://127.0.0.1:9/sms',
});

/** Rules in evaluation order, and the policies they name. */
const POLICIES: Array<[kind: string, name: string, document: unknown]> = [
  ['passcode', 'strong', { length: 10, channels: ['sms'] }],
  [
    'load-balancing',
    'eu-sms',
    {
      channels: ['sms'],
      members: [
        { gateway: 'sms-a', priority: 1 },
        { gateway: 'sms-b', priority: 0 },
      ],
    },
  ],
  [
    'authentication',
    'head-office',
    {
      description: 'the office networks',
      when: { networks: ['192.0.2.0/24', '10.1.0.0/16', '2001:db8:1::/48'] },
      outcome: { action: 'allow' },
    },
  ],
  [
    'authentication',
    'no-us',
    { when: { countries: ['US'] }, outcome: { action: 'deny', message: 'ACCESS_DENIED_LOCATION' } },
  ],
  [
    'authentication',
    'germany-office365',
    {
      when: { countries: ['DE'], applications: ['office365'] },
      outcome: {
        action: 'mfa',
        methods: ['sms', 'totp'],
        passcodePolicy: 'strong',
        loadBalancingPolicy: 'eu-sms',
      },
    },
  ],
  [
    'authentication',
    'payroll-hours',
    {
      when: {
        applications: ['payroll'],
        time: {
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          from: '08:00',
          to: '18:00',
          timeZone: 'Europe/Berlin',
        },
      },
      outcome: { action: 'allow' },
    },
  ],
];

const TABLES = [
  'tokens',
  'passcodes',
  'challenges',
  'delivery_attempts',
  'audit_events',
  'login_history',
  'trusted_networks',
  'policies',
];

describe('passgate policy test', () => {
  const { file, folder } = writeConfig({
    passwords: { scryptCost: 10 },
    dispatch: { gateways: [{ type: 'outbox', name: 'outbox' }, smsGateway('sms-a'), smsGateway('sms-b')] },
  });
  const cli = (args: string[], input?: string) =>
    runCli([...args, '--config', file], input === undefined ? {} : { input });
  const simulate = (...args: string[]) => cli(['policy', 'test', ...args]);
  const json = async (...args: string[]) => {
    const run = await simulate(...args, '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as Record<string, unknown>;
  };
  /** Rows per table, and the outbox folder's files. */
  const snapshot = () => {
    const db = new Database(path.join(folder, 'data', 'passgate.db'), { readonly: true });
    try {
      const rows = Object.fromEntries(
        TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
      );
      const outbox = path.join(folder, 'data', 'outbox');
      return { rows, outbox: existsSync(outbox) ? readdirSync(outbox) : [] };
    } finally {
      db.close();
    }
  };

  /** The applications the rules name, registered as the server would load them. */
  const registerApplications = () => {
    const oidc = path.join(folder, 'metadata', 'oidc');
    const saml = path.join(folder, 'metadata', 'saml');
    mkdirSync(oidc, { recursive: true });
    mkdirSync(saml, { recursive: true });
    for (const id of ['office365', 'payroll'])
      writeFileSync(
        path.join(oidc, `${id}.yaml`),
        stringify({ client_id: id, redirect_uris: [`https://${id}.example.test/cb`] }),
      );
    for (const ext of ['xml', 'yaml'])
      copyFileSync(
        path.join(PACKAGE_ROOT, 'metadata', 'saml', `salesforce.${ext}`),
        path.join(saml, `payroll.${ext}`),
      );
  };

  beforeAll(async () => {
    registerApplications();
    const password = 'a long enough password\n';
    const users = [
      ['alice', '--mobile', '+33612345642', '--group', 'Staff'],
      ['carol', '--display-name', 'Carol Example'],
    ];
    for (const user of users) expect((await cli(['user', 'add', ...user], password)).code).toBe(0);
    expect((await cli(['token', 'add', 'alice', '--type', 'totp', '--secret', SECRET])).code).toBe(0);
    for (const [kind, name, document] of POLICIES) {
      const run = await cli(['policy', 'set', kind, name], stringify(document));
      expect(run.stderr).toBe('');
    }
  }, 300_000);

  it('shows the rule matched by the source network, and that nothing would be asked', async () => {
    const run = await simulate('--user', 'alice', '--ip', '192.0.2.44', '--app', 'office365');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('  address          192.0.2.44\n');
    expect(run.stdout).toMatch(
      /rule\s+head-office\n\s+why\s+rule "head-office" matched: the office networks\n/,
    );
    expect(run.stdout).toMatch(/action\s+allow\n/);
    expect(run.stdout).not.toMatch(/methods|passcode/);
    expect(run.stdout).toContain('Decision (4 rules checked in order)');
  });

  it('resolves the country and applies the rule of that country, with its Passcode and Load Balancing Policies', async () => {
    const run = await simulate('--user', 'alice', '--ip', '194.25.2.129', '--app', 'office365');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/country\s+DE \(Germany\), continent EU\n/);
    expect(run.stdout).toMatch(/groups\s+Staff\n/);
    expect(run.stdout).toMatch(/second factors\s+totp, sms \+33 6 •• •• •• 42, voice \+33 6 •• •• •• 42\n/);
    expect(run.stdout).toMatch(/rule\s+germany-office365\n/);
    expect(run.stdout).toMatch(/methods\s+1\. sms \+33 6 •• •• •• 42 {2}2\. totp\n/);
    expect(run.stdout).toMatch(/passcode\s+sms to \+33 6 •• •• •• 42, sent at once\n/);
    expect(run.stdout).toMatch(/passcode policy\s+strong\n/);
    expect(run.stdout).toMatch(/load balancing\s+eu-sms \(priority\): sms-b, sms-a; first sms-b\n/);
    expect(run.stdout).toMatch(/Nothing was sent or written\.\n$/);
  });

  it('falls back to the built-in default when no rule matches, and says why', async () => {
    const alice = await json('--user', 'alice', '--ip', '193.0.6.139', '--app', 'office365');
    expect(alice).toMatchObject({
      rule: 'default',
      action: 'mfa',
      reason: 'no rule matched; the user has a second factor (built-in default)',
      facts: { country: 'NL', countryName: 'Netherlands', continent: 'EU', newCountry: true },
      methods: [{ type: 'totp' }, { type: 'sms' }, { type: 'voice' }],
      passcode: {
        channel: 'sms',
        automatic: false,
        passcodePolicy: '(built-in)',
        route: { policy: 'eu-sms' },
      },
    });
    const carol = await simulate('--user', 'carol', '--ip', '193.0.6.139');
    expect(carol.stdout).toMatch(/rule\s+default\n\s+why\s+no rule matched; the user has no second factor/);
    expect(carol.stdout).toMatch(/action\s+allow\n/);
    expect(carol.stdout).toMatch(/second factors\s+\(none\)\n/);
  });

  it('shows a denial with its message key', async () => {
    const run = await simulate('--user', 'alice', '--ip', '8.8.8.8');
    expect(run.stdout).toMatch(/country\s+US \(United States\), continent NA\n/);
    expect(run.stdout).toMatch(/rule\s+no-us\n/);
    expect(run.stdout).toMatch(/action\s+deny \(message ACCESS_DENIED_LOCATION\)\n/);
  });

  it('evaluates time windows at the time given with --at, and a step-up on top of an allow', async () => {
    const payroll = ['--user', 'carol', '--ip', '193.0.6.139', '--app', 'payroll'];
    const [office, inHours, sunday, stepUp] = await Promise.all([
      json('--user', 'carol', '--ip', '10.1.2.3', '--app', 'payroll', '--door', 'saml'),
      json(...payroll, '--at', '2026-11-25T10:00:00Z'),
      json(...payroll, '--at', '2026-11-29T10:00:00Z'),
      json('--user', 'alice', '--ip', '192.0.2.1', '--acr', 'mfa'),
    ]);
    expect(office).toMatchObject({ rule: 'head-office', request: { door: 'saml' } }); // the network rule comes first
    expect(inHours).toMatchObject({
      rule: 'payroll-hours',
      action: 'allow',
      request: { at: '2026-11-25T10:00:00.000Z' },
    });
    expect(sunday).toMatchObject({ rule: 'default', action: 'allow' });
    expect(stepUp).toMatchObject({ rule: 'head-office', action: 'mfa', stepUp: 'acr_values' });
    expect(stepUp.reason).toMatch(/a second factor is required anyway \(acr_values\)$/);
  });

  it('prints one JSON object with the facts, the decision, the methods and the route', async () => {
    const result = await json(
      '--user',
      'alice',
      '--ip',
      '194.25.2.129',
      '--app',
      'office365',
      '--device',
      'browser-1',
    );
    expect(Object.keys(result).sort()).toEqual(
      [
        'action',
        'facts',
        'message',
        'methods',
        'passcode',
        'problem',
        'reason',
        'request',
        'rule',
        'rules',
        'stepUp',
        'user',
      ].sort(),
    );
    expect(result).toMatchObject({
      user: { username: 'alice', disabled: false },
      request: { door: 'oidc', application: 'office365', device: 'browser-1', stepUp: null },
      facts: {
        address: '194.25.2.129',
        country: 'DE',
        trustedAddress: false,
        newDevice: true,
        groups: ['Staff'],
      },
      rules: 4,
      rule: 'germany-office365',
      action: 'mfa',
      message: null,
      methods: [
        { type: 'sms', source: 'sent', label: '+33 6 •• •• •• 42' },
        { type: 'totp', source: 'device' },
      ],
      passcode: {
        channel: 'sms',
        destination: '+33 6 •• •• •• 42',
        automatic: true,
        passcodePolicy: 'strong',
        route: { policy: 'eu-sms', strategy: 'priority', order: ['sms-b', 'sms-a'], firstIsFixed: true },
      },
      problem: null,
    });
  });

  it('writes nothing: no token, passcode, challenge, delivery attempt, audit event or outbox file', async () => {
    const before = snapshot();
    const ips = ['194.25.2.129', '193.0.6.139', '8.8.8.8', '2001:db8:1::5'];
    const runs = await Promise.all(
      ips.map((ip) => simulate('--user', 'alice', '--ip', ip, '--app', 'office365', '--device', 'd-1')),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const after = snapshot();
    expect(after).toEqual(before);
    expect(after.outbox).toEqual([]);
    // alice's mobile number has no SMS token of its own yet: a real sign-in would create it.
    const db = new Database(path.join(folder, 'data', 'passgate.db'), { readonly: true });
    expect(db.prepare("SELECT id FROM tokens WHERE type IN ('sms', 'voice')").all()).toEqual([]);
    db.close();
  });

  it('warns about an application that is not registered at the door, and still simulates the login', async () => {
    const typo = await simulate('--user', 'alice', '--ip', '194.25.2.129', '--app', 'office356');
    expect(typo.code).toBe(0);
    expect(typo.stderr).toBe(
      `passgate: warning: no OIDC client "office356" is registered in ${path.join(folder, 'metadata', 'oidc')}; registered: office365, payroll\n`,
    );
    expect(typo.stdout).toMatch(/rule\s+default\n/);
    const wrongDoor = await simulate(
      '--user',
      'alice',
      '--ip',
      '8.8.8.8',
      '--app',
      'office365',
      '--door',
      'saml',
    );
    expect(wrongDoor.stderr).toMatch(
      /^passgate: warning: no SAML service provider "office365" is registered in \S+ \(it is a registered OIDC client: use --door oidc\); registered: payroll, https:\/\/example\.my\.salesforce\.com\n$/,
    );
    const radius = await simulate('--user', 'alice', '--ip', '8.8.8.8', '--app', 'vpn', '--door', 'radius');
    expect(radius).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses an unknown user (exit 1) and a bad address or time (exit 2) with one line', async () => {
    expect(await simulate('--user', 'nobody', '--ip', '8.8.8.8')).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'passgate: no user "nobody"\n',
    });
    expect(await simulate('--user', 'alice', '--ip', '300.1.2.3')).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'passgate: --ip: "300.1.2.3" is not an IP address\n',
    });
    expect(await simulate('--user', 'alice', '--ip', '8.8.8.8', '--at', 'next tuesday')).toMatchObject({
      code: 2,
      stderr: 'passgate: --at: "next tuesday" is not a time (ISO 8601, e.g. 2026-11-25T10:00:00Z)\n',
    });
  });
});
