import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStart, writeConfig } from '../support/cli.js';

const MASTER_KEY = Buffer.alloc(32, 3).toString('base64');
const PREFIX = 'passgate: configuration error: ';

/** The JSON log lines a `passgate start` wrote. */
const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; mode?: string });

/** Standard error without oidc-provider's own notice about the Node.js version. */
const errorLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line && !line.startsWith('oidc-provider WARNING'));

const freshFolder = () => mkdtempSync(path.join(os.tmpdir(), 'passgate-start-'));

describe('passgate start on the embedded defaults, in a fresh folder', () => {
  it('creates the default data folder and names every development default in a warning', async () => {
    const cwd = freshFolder();
    const run = await runStart([], { cwd, env: { PORT: '0' } });
    expect(run.started, run.stderr).toBe(true);
    expect(existsSync(path.join(cwd, 'data', 'passgate.db'))).toBe(true);
    const warnings = logLines(run.stdout)
      .filter((line) => line.level === 40 && line.msg.startsWith('development default: '))
      .map((line) => line.msg.slice('development default: '.length));
    const named = (key: string) => warnings.filter((w) => w.startsWith(`${key} `));
    expect(named('mode')).toEqual([expect.stringMatching(/PASSGATE_MODE=production/)]);
    expect(named('secrets.masterKey')).toEqual([expect.stringContaining(path.join('data', 'master.key'))]);
    expect(named('database.url')).toEqual([expect.stringMatching(/SQLite .*data\/passgate\.db/)]);
    expect(named('directory.type')).toEqual([expect.stringMatching(/local directory/)]);
    expect(named('dispatch.gateways')).toEqual([expect.stringMatching(/outbox/)]);
    expect(named('server.publicUrl')).toEqual([expect.stringMatching(/not set.*http:\/\/localhost:/)]);
  });

  it.runIf(Number(process.versions.node.split('.')[0]) < 22)(
    'says that this Node.js version is older than the supported ones, from package.json',
    async () => {
      const run = await runStart([], { cwd: freshFolder(), env: { PORT: '0' } });
      expect(run.started, run.stderr).toBe(true);
      const line = logLines(run.stdout).find((l) => l.msg.startsWith('Node.js'));
      expect(line).toMatchObject({
        level: 40,
        msg: `Node.js ${process.versions.node} is older than the supported versions (package.json engines: >=22.12): use Node.js 22 LTS or later`,
      });
    },
  );
});

describe('PASSGATE_MODE', () => {
  it('production without a master key or a gateway refuses to start, one line naming each key', async () => {
    const run = await runStart([], { cwd: freshFolder(), env: { PASSGATE_MODE: 'production' } });
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `${PREFIX}secrets.masterKey: required in production mode; set PASSGATE_MASTER_KEY to base64 of 32 random bytes (openssl rand -base64 32)`,
      `${PREFIX}dispatch.gateways: required in production mode: a gateway that sends passcodes (sms, voice or email), or [] when only authenticator apps and hardware tokens are used`,
    ]);
    expect(run.stdout).toBe('');
  });

  it('production with only the outbox refuses to start: it writes passcodes to files', async () => {
    const { file } = writeConfig({ dispatch: { gateways: [{ type: 'outbox', name: 'outbox' }] } });
    const run = await runStart(['--config', file], {
      env: { PASSGATE_MODE: 'production', PASSGATE_MASTER_KEY: MASTER_KEY },
    });
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `${PREFIX}dispatch.gateways: the outbox writes passcodes to files instead of sending them; production mode needs a gateway that sends them (sms, voice or email) (in ${file})`,
    ]);
  });

  it('production with a master key and a gateway starts in production mode, whatever the file says', async () => {
    const { file } = writeConfig({
      mode: 'development',
      server: { port: 0 },
      dispatch: {
        gateways: [{ type: 'smtp', name: 'mail', host: '127.0.0.1', from: 'Passgate <a@example.test>' }],
      },
    });
    const run = await runStart(['--config', file], {
      env: { PASSGATE_MODE: 'production', PASSGATE_MASTER_KEY: MASTER_KEY },
    });
    expect(run.started, run.stderr).toBe(true);
    const lines = logLines(run.stdout);
    expect(lines.find((l) => l.msg === 'listening')?.mode).toBe('production');
    expect(lines.map((l) => l.msg).join('\n')).not.toMatch(/development default: (mode|secrets|dispatch)/);
  });

  it('names the variable of an unknown mode', async () => {
    const run = await runStart([], { cwd: freshFolder(), env: { PASSGATE_MODE: 'prod' } });
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `${PREFIX}mode: Invalid option: expected one of "development"|"production" (from PASSGATE_MODE)`,
    ]);
  });
});

describe('a SQLite database in a folder that does not exist', () => {
  it('stops the start with a line naming database.url and the variable, and creates nothing', async () => {
    const missing = path.join(freshFolder(), 'nonexistent', 'dir');
    const run = await runStart([], {
      cwd: freshFolder(),
      env: { PASSGATE_DATABASE_URL: `sqlite:${missing}/x.db`, PORT: '0' },
    });
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `${PREFIX}database.url: the folder ${missing} does not exist; create it or correct the path (from PASSGATE_DATABASE_URL)`,
    ]);
    expect(existsSync(missing)).toBe(false);
  });

  it('names the key in the file', async () => {
    const folder = freshFolder();
    const { file } = writeConfig({ database: { url: 'sqlite:typo/passgate.db' } }, folder);
    const run = await runStart(['--config', file], { cwd: folder, env: { PORT: '0' } });
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `${PREFIX}database.url: the folder ${path.join(folder, 'typo')} does not exist; create it or correct the path (in ${file})`,
    ]);
    expect(existsSync(path.join(folder, 'typo'))).toBe(false);
  });

  it('names dataDir when the default database would go into a configured data folder that does not exist', async () => {
    const folder = freshFolder();
    const { file } = writeConfig({ dataDir: path.join(folder, 'dat') }, folder);
    const run = await runStart(['--config', file], { cwd: folder, env: { PORT: '0' } });
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `${PREFIX}dataDir: the folder ${path.join(folder, 'dat')} does not exist; create it or correct the path (in ${file})`,
    ]);
  });
});
