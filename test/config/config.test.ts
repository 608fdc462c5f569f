import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { developmentWarnings } from '../../src/config/development-warnings.js';
import { ConfigErrors } from '../../src/config/errors.js';
import { loadConfig } from '../../src/server/config.js';
import { runCli, writeConfig } from '../support/cli.js';

const errorOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (ConfigErrors.is(error)) return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
};

describe('configuration', () => {
  it('runs on documented defaults without a file', () => {
    const config = loadConfig({ env: {} });
    expect(config.mode).toBe('development');
    expect(config.server.port).toBe(3000);
    expect(config.database.url).toBe(`sqlite:${path.join('data', 'passgate.db')}`);
    expect(config.dispatch.gateways).toEqual([{ type: 'outbox', name: 'outbox' }]);
    expect(config.oidc.signingAlgorithm).toBe('ES256');
    expect(config.passwords.scryptCost).toBe(15);
  });

  it('reads the file named by PASSGATE_CONFIG and lets the environment override it', () => {
    const { file } = writeConfig({ server: { port: 4000, publicUrl: 'https://file.example' } });
    const config = loadConfig({
      env: {
        PASSGATE_CONFIG: file,
        PORT: '5000',
        PASSGATE_PUBLIC_URL: 'https://idp.example.com',
        PASSGATE_DATABASE_URL: 'postgres://passgate:secret@db:5432/passgate',
      },
    });
    expect(config.server.port).toBe(5000);
    expect(config.server.publicUrl).toBe('https://idp.example.com');
    expect(config.database.url).toBe('postgres://passgate:secret@db:5432/passgate');
    expect(config.source).toBe(file);
  });

  it('takes server.workers from PASSGATE_WORKERS, unset by default (one per CPU), and refuses fewer than one', () => {
    expect(loadConfig({ env: {} }).server.workers).toBeUndefined();
    expect(loadConfig({ env: { PASSGATE_WORKERS: '3' } }).server.workers).toBe(3);
    expect(errorOf(() => loadConfig({ env: { PASSGATE_WORKERS: '0' } }))).toMatch(
      /^server\.workers: .*\(from PASSGATE_WORKERS\)$/,
    );
  });

  it('keeps the documented retention periods by default, and refuses one shorter than the window that counts its rows', () => {
    expect(loadConfig({ env: {} }).retention).toEqual({
      cleanUpIntervalSeconds: 60,
      throttleHours: 24,
      passcodesMinutes: 60,
      challengesMinutes: 60,
      deliveryAttemptsDays: 90,
      attemptsDays: 180,
    });
    const message = errorOf(() =>
      loadConfig({
        env: {},
        overrides: { retention: { passcodesMinutes: 5, throttleHours: 1 }, mfa: { userWindowSeconds: 7200 } },
      }),
    );
    expect(message).toContain('retention.throttleHours: must cover mfa.userWindowSeconds (7200 s)');
    expect(message).toContain(
      'retention.passcodesMinutes: must cover mfa.passcodeLimit.windowSeconds (600 s)',
    );
  });

  it('names an unknown key, and the known key a typo was probably meant to be', () => {
    const { file } = writeConfig({ server: { prot: 3000, colour: 'blue' } });
    expect(errorOf(() => loadConfig({ file, env: {} })).split('\n')).toEqual([
      `server.prot: unknown key; did you mean server.port? (in ${file})`,
      `server.colour: unknown key (in ${file})`,
    ]);
  });

  it('suggests keys inside lists, named entries and typed variants', () => {
    const { file } = writeConfig({
      Mode: 'production',
      directory: {
        type: 'ad',
        urls: ['ldaps://dc:636'],
        baseDn: 'DC=x',
        bindDn: 'x',
        bindPasswordEnv: 'X',
        netbiosDomian: 'X',
      },
      dispatch: { gateways: [{ type: 'outbox', name: 'o', nmae: 'p' }] },
      policies: { token: { default: { displayName: 'Phone', type: 'totp', perod: 30 } } },
    });
    const lines = errorOf(() => loadConfig({ file, env: {} })).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `Mode: unknown key; did you mean mode? (in ${file})`,
        `directory.netbiosDomian: unknown key; did you mean directory.netbiosDomain? (in ${file})`,
        `dispatch.gateways.0.nmae: unknown key; did you mean dispatch.gateways.0.name? (in ${file})`,
      ]),
    );
    expect(lines).toContain(
      `policies.token.default.perod: unknown key; did you mean policies.token.default.period? (in ${file})`,
    );
  });

  it('seeds Device Policies (the ActiveSync allowance), checked against their schema', () => {
    const config = loadConfig({
      env: {},
      overrides: { policies: { device: { default: { firstDeviceWithinDays: 14 } } } },
    });
    expect(config.policies.device).toEqual({ default: { firstDeviceWithinDays: 14, groups: [] } });
    expect(loadConfig({ env: {} }).policies.device).toEqual({});
    expect(
      errorOf(() =>
        loadConfig({
          env: {},
          overrides: { policies: { device: { default: { firstDeviceWithinDays: 400 } } } },
        }),
      ),
    ).toContain('policies.device.default.firstDeviceWithinDays');
  });

  it('checks every directory: plain LDAP, one local directory, the directory of each reset site', () => {
    const ad = { type: 'ad', baseDn: 'DC=x', bindDn: 'x', bindPasswordEnv: 'X' } as const;
    const message = errorOf(() =>
      loadConfig({
        env: {},
        overrides: {
          directories: {
            partner: { ...ad, urls: ['ldap://dc2:389'] },
            secure: { ...ad, urls: ['ldap://dc3:389'], startTls: true },
            staff: { type: 'local' },
          },
          reset: {
            sites: [
              { name: 'corp', directory: 'default' },
              { name: 'elsewhere', path: '/elsewhere', directory: 'nowhere' },
            ],
          },
        },
      }),
    ).split('\n');
    expect(message).toEqual([
      'directories.partner.urls: ldap:// needs directories.partner.startTls: true (or allowPlainLdap: true, for tests only)',
      'directories: at most one local directory (directory, directories.staff are local)',
      'reset.sites.1.directory: no directory "nowhere" (default, or a key of directories)',
    ]);
    expect(
      errorOf(() => loadConfig({ env: {}, overrides: { directories: { default: { type: 'local' } } } })),
    ).toContain('`default` is the `directory` setting');
  });

  it('names a value of the wrong type', () => {
    const { file } = writeConfig({ passwords: { scryptCost: 'high' } });
    expect(errorOf(() => loadConfig({ file, env: {} }))).toMatch(
      /^passwords\.scryptCost: expected number, received string/,
    );
  });

  it('names the environment variable a bad value came from', () => {
    expect(errorOf(() => loadConfig({ env: { PORT: 'eighty' } }))).toBe(
      'server.port: expected number, received string (from PORT)',
    );
    expect(errorOf(() => loadConfig({ env: { PASSGATE_PUBLIC_URL: 'not a url' } }))).toBe(
      'server.publicUrl: Invalid URL (from PASSGATE_PUBLIC_URL)',
    );
  });

  it('rejects a database URL of an unknown kind', () => {
    expect(errorOf(() => loadConfig({ env: { PASSGATE_DATABASE_URL: 'mysql://db/passgate' } }))).toMatch(
      /^database\.url: expected sqlite:<path> or postgres:/,
    );
  });

  it('rejects a bad proxy range', () => {
    expect(
      errorOf(() => loadConfig({ env: {}, overrides: { server: { trustedProxies: ['10.0.0.0/33'] } } })),
    ).toMatch(/^server\.trustedProxies\.0: expected an IP address or CIDR range/);
  });

  it('points at the line of a YAML syntax error', () => {
    const { file } = writeConfig({});
    writeFileSync(file, 'server:\n  port: 3000\n  host: [unclosed\n');
    expect(errorOf(() => loadConfig({ file, env: {} }))).toMatch(new RegExp(`^${file}:\\d+: not valid YAML`));
  });

  it('refuses production without a master key, and a master key of the wrong size', () => {
    expect(
      errorOf(() => loadConfig({ env: {}, overrides: { mode: 'production', dispatch: { gateways: [] } } })),
    ).toBe(
      'secrets.masterKey: required in production mode; set PASSGATE_MASTER_KEY to base64 of 32 random bytes (openssl rand -base64 32)',
    );
    expect(
      errorOf(() => loadConfig({ env: { PASSGATE_MASTER_KEY: Buffer.alloc(16).toString('base64') } })),
    ).toMatch(/^secrets\.masterKey: expected base64 of exactly 32 bytes/);
  });

  it('takes the mode from PASSGATE_MODE, and in production no outbox: [] says passcodes are not sent at all', () => {
    const config = loadConfig({
      env: { PASSGATE_MODE: 'production', PASSGATE_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') },
      overrides: { dispatch: { gateways: [] } },
    });
    expect(config.mode).toBe('production');
    expect(config.dispatch.gateways).toEqual([]);
  });

  it('names every development default in a warning, and none once each is replaced', () => {
    const keys = (warnings: string[]) => warnings.map((w) => w.split(' ')[0]);
    expect(keys(developmentWarnings(loadConfig({ env: {} }), 'http://localhost:3000'))).toEqual([
      'mode',
      'secrets.masterKey',
      'server.publicUrl',
      'database.url',
      'directory.type',
      'dispatch.gateways',
    ]);
    const hardened = loadConfig({
      env: {
        PASSGATE_MODE: 'production',
        PASSGATE_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        PASSGATE_PUBLIC_URL: 'https://idp.example.com',
        PASSGATE_DATABASE_URL: 'postgres://passgate@db/passgate',
      },
      overrides: {
        directory: {
          type: 'ad',
          urls: ['ldaps://dc:636'],
          baseDn: 'DC=x',
          bindDn: 'x',
          bindPasswordEnv: 'X',
        },
        dispatch: {
          gateways: [{ type: 'smtp', name: 'mail', host: 'smtp.example.com', from: 'a@example.com' }],
        },
      },
    });
    expect(developmentWarnings(hardened, 'https://idp.example.com')).toEqual([]);
  });

  it('warns about /metrics on a network address without a token, not on loopback or behind a token', () => {
    const warned = (metrics: Record<string, string>, env: Record<string, string> = {}) =>
      developmentWarnings(loadConfig({ env, overrides: { metrics } }), 'http://localhost:3000').filter((w) =>
        w.startsWith('metrics.listen'),
      );
    expect(warned({ listen: '0.0.0.0:9464' })).toEqual([
      'metrics.listen 0.0.0.0:9464 serves /metrics to the network without a token; set metrics.tokenEnv or metrics.tokenFile, or listen on 127.0.0.1',
    ]);
    expect(warned({ listen: '127.0.0.1:9464' })).toEqual([]);
    expect(warned({ listen: '[::1]:9464' })).toEqual([]);
    expect(
      warned({ listen: '0.0.0.0:9464', tokenEnv: 'METRICS_TOKEN' }, { METRICS_TOKEN: 'x'.repeat(24) }),
    ).toEqual([]);
  });
});

describe('passgate start with a wrong setting', () => {
  it('stops with exit code 2 when a gateway names an environment variable that is not set', async () => {
    const { file } = writeConfig({
      dispatch: {
        gateways: [
          {
            type: 'smpp',
            name: 'sms',
            url: 'smpp://127.0.0.1:2775',
            systemId: 'passgate',
            password: '{env.SMPP_PASSWORD_NOT_SET}',
            sender: 'Passgate',
          },
        ],
      },
    });
    const run = await runCli(['start', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/passgate: configuration error: .*SMPP_PASSWORD_NOT_SET/);
  });

  it('lists every problem of the file at once, one line each naming the key, and exits 2', async () => {
    const { file } = writeConfig({
      sever: { port: 3000 },
      server: { prot: 3000, port: 'high' },
      passwords: { scryptCost: 'high' },
      mode: 'prod',
      zzzzzz: true,
    });
    const run = await runCli(['start', '--config', file]);
    expect(run.code).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l && !l.startsWith('oidc-provider WARNING'));
    expect(lines.sort()).toEqual(
      [
        `passgate: configuration error: mode: Invalid option: expected one of "development"|"production" (in ${file})`,
        `passgate: configuration error: passwords.scryptCost: expected number, received string (in ${file})`,
        `passgate: configuration error: server.port: expected number, received string (in ${file})`,
        `passgate: configuration error: server.prot: unknown key; did you mean server.port? (in ${file})`,
        `passgate: configuration error: sever: unknown key; did you mean server? (in ${file})`,
        `passgate: configuration error: zzzzzz: unknown key (in ${file})`,
      ].sort(),
    );
    expect(run.stdout).toBe('');
  });

  it.each([
    [
      'an unknown key',
      { server: { prot: 1 } },
      {},
      /^passgate: configuration error: server\.prot: unknown key/,
    ],
    ['a wrong type', {}, { PORT: 'abc' }, /^passgate: configuration error: server\.port: expected number/],
    [
      'a bad URL',
      {},
      { PASSGATE_PUBLIC_URL: 'ftp://x' },
      /^passgate: configuration error: server\.publicUrl: Invalid URL/,
    ],
  ])('stops with exit code 2 and one line for %s', async (_case, settings, env, line) => {
    const { file } = writeConfig(settings);
    const run = await runCli(['start', '--config', file], { env });
    expect(run.code).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l && !l.startsWith('oidc-provider WARNING'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(run.stdout).toBe('');
  });
});
