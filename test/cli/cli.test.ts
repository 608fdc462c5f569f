import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { migrations } from '../../src/store/migrations/index.js';
import { Browser, formAction, formField } from '../support/browser.js';
import { collect, runCli, spawnCli, waitForOutput, writeConfig } from '../support/cli.js';
import { authorizationUrl } from '../support/relying-party.js';
import { TEST_CLIENT } from '../support/server.js';

const PASSWORD = 'a long enough password';

describe('passgate migrate', () => {
  it('creates the schema once and then reports it up to date', async () => {
    const { file } = writeConfig({});
    const first = await runCli(['migrate', '--config', file]);
    expect(first).toMatchObject({
      code: 0,
      stdout: `Applied: ${Object.keys(migrations).sort().join(', ')}\n`,
    });
    const second = await runCli(['migrate', '--config', file]);
    expect(second).toMatchObject({ code: 0, stdout: 'The database is up to date.\n' });
  });

  it('fails with one clear line when the database cannot be reached', async () => {
    const { file } = writeConfig({
      database: { url: 'postgres://passgate:pw@127.0.0.1:1/passgate', connectTimeoutSeconds: 2 },
    });
    const run = await runCli(['migrate', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^passgate: postgres:\/\/passgate:\*\*\*@127\.0\.0\.1:1\/passgate: .*ECONNREFUSED.*\n$/,
    );
  });
});

describe('passgate user', () => {
  const { file } = writeConfig({ passwords: { scryptCost: 10 } });

  it('adds a user with the password from standard input, never from argv', async () => {
    const added = await runCli(
      [
        'user',
        'add',
        'alice',
        '--config',
        file,
        '--display-name',
        'Alice Liddell',
        '--email',
        'alice@example.test',
        '--group',
        'staff',
        '--group',
        'vpn',
      ],
      { input: `${PASSWORD}\n` },
    );
    expect(added.stderr).not.toMatch(/passgate:/);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Created user alice \([0-9a-f-]{36}\)\.\n$/);

    const withFlag = await runCli(['user', 'add', 'bob', '--password', 'secret', '--config', file]);
    expect(withFlag.code).not.toBe(0);
    expect(withFlag.stderr).toMatch(/unknown option '--password'/);
  });

  it('refuses a short password and a taken user name', async () => {
    const short = await runCli(['user', 'add', 'carol', '--config', file], { input: 'short\n' });
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('passgate: the password must have at least 8 characters\n');
    const taken = await runCli(['user', 'add', 'ALICE', '--config', file], { input: `${PASSWORD}\n` });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe('passgate: user "alice" already exists\n');
  });

  it('lists and shows users', async () => {
    const list = await runCli(['user', 'list', '--config', file]);
    expect(list.stdout).toMatch(
      /^USER {3}NAME {11}E-MAIL {14}STATUS\nalice {2}Alice Liddell {2}alice@example\.test {2}enabled\n$/,
    );
    const json = JSON.parse((await runCli(['user', 'list', '--json', '--config', file])).stdout);
    expect(json).toEqual([expect.objectContaining({ username: 'alice', displayName: 'Alice Liddell' })]);
    const show = await runCli(['user', 'show', 'alice', '--json', '--config', file]);
    const user = JSON.parse(show.stdout);
    expect(user).toMatchObject({
      username: 'alice',
      displayName: 'Alice Liddell',
      groups: ['staff', 'vpn'],
      disabled: false,
    });
    expect(show.stdout).not.toContain('scrypt');
    const missing = await runCli(['user', 'show', 'nobody', '--config', file]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('passgate: no user "nobody"\n');
  });

  it('disables and enables a user', async () => {
    expect((await runCli(['user', 'disable', 'alice', '--config', file])).stdout).toBe(
      'User alice is disabled.\n',
    );
    expect((await runCli(['user', 'list', '--config', file])).stdout).toMatch(/^alice .* disabled$/m);
    expect((await runCli(['user', 'enable', 'alice', '--config', file])).stdout).toBe(
      'User alice is enabled.\n',
    );
  });

  it('prints its version with --version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      expect(await runCli([flag])).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });

  it('marks the options a command cannot run without as required in --help', async () => {
    const help = await runCli(['policy', 'test', '--help']);
    expect(help.stdout).toMatch(/--user <username> +who signs in \(required\)\n/);
    expect(help.stdout).toMatch(/--ip <address> +source address, IPv4 or IPv6 \(required\)\n/);
    expect(help.stdout).not.toMatch(/--app .*required/);
    expect((await runCli(['token', 'add', '--help'])).stdout).toMatch(
      /--type <type> +totp, hotp or backup \(required\)/,
    );
  });

  it('documents every command with --help', async () => {
    for (const command of [[], ['start'], ['migrate'], ['user'], ['user', 'add'], ['keys', 'rotate']]) {
      const help = await runCli([...command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: passgate/);
    }
  });
});

describe('passgate start, keys rotate and SIGTERM', () => {
  const { file, folder } = writeConfig({
    server: { host: '127.0.0.1', port: 0, shutdownGraceSeconds: 5 },
    passwords: { scryptCost: 16 },
    oidc: { keyRefreshSeconds: 1 },
  });
  let server: ChildProcess;
  let output: string;
  let url: string;

  beforeAll(async () => {
    mkdirSync(path.join(folder, 'metadata', 'oidc'), { recursive: true });
    writeFileSync(path.join(folder, 'metadata', 'oidc', 'test.yaml'), JSON.stringify(TEST_CLIENT));
    server = spawnCli(['start', '--config', file]);
    output = await waitForOutput(
      server,
      /^(?=[\s\S]*"msg":"ready")(?=[\s\S]*its first line is the password)/,
      120_000,
    );
    const port = Number(/"port":(\d+)/.exec(output)?.[1]);
    url = `http://localhost:${port}`;
  });
  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('names each development default in a warning at start', () => {
    expect(output).toMatch(/development default: secrets\.masterKey is not set/);
    expect(output).toMatch(
      /development default: server\.publicUrl is not set: the issuer is http:\/\/localhost:\d+/,
    );
    expect(output).toMatch(/development default: dispatch\.gateways uses the outbox dispatcher/);
  });

  it("prints the README's command that creates the first user, and that command works", async () => {
    const command = /npx passgate (user add .*)/.exec(output)?.[1];
    expect(command).toBe(
      `user add alice --display-name "Alice Liddell" --email alice@example.test --group staff --config ${file}`,
    );
    // The same example as the README's quick start, so a new user meets one command, not two.
    const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`npx passgate ${command!.replace(` --config ${file}`, '')}\n`);
    const args = command!.match(/"[^"]+"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
    const run = await runCli(args, { input: `${PASSWORD}\n` });
    expect(run.code).toBe(0);
  });

  it('makes running servers sign with rotated keys while still publishing the old ones', async () => {
    const kids = async () =>
      (
        (await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: Array<{ kid: string; alg: string }> }
      ).keys.map((k) => k.kid);
    const before = await kids();
    expect(before).toHaveLength(2);
    const rotated = await runCli(['keys', 'rotate', '--config', file]);
    expect(rotated.code).toBe(0);
    const created = /New signing keys: (\S+), (\S+)/.exec(rotated.stdout)!.slice(1);
    let after: string[] = [];
    for (let i = 0; i < 50 && !created.every((k) => after.includes(k)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await kids();
    }
    expect(after).toEqual(expect.arrayContaining([...created, ...before]));
    expect(after.slice(0, 2).sort()).toEqual([...created].sort());
    const list = await runCli(['keys', 'list', '--config', file]);
    expect(list.stdout.match(/current/g)).toHaveLength(2);
    expect(list.stdout.match(/retired, published until/g)).toHaveLength(2);
  });

  it('finishes an in-flight sign-in on SIGTERM, then exits 0', async () => {
    const browser = new Browser();
    const page = (await browser.follow(authorizationUrl(url))).last;
    // scrypt at cost 16 takes long enough for the signal to arrive mid-request.
    const inFlight = browser.fetch(formAction(page.body, page.url), {
      form: { _csrf: formField(page.body, '_csrf')!, username: 'alice', password: PASSWORD },
    });
    await new Promise((r) => setTimeout(r, 30));
    const exited = collect(server);
    server.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/oidc\/auth\//);
    const { code } = await exited;
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
