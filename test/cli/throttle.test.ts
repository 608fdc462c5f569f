import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import { runCli, spawnCli, waitForOutput, writeConfig } from '../support/cli.js';
import { authorizationUrl } from '../support/relying-party.js';
import { TEST_CLIENT } from '../support/server.js';

const PASSWORD = 'the right password';
const WRONG = 'a wrong password 1234';
/** Each CLI run is a process of its own (a few seconds on a busy machine). */
const SLOW = 240_000;

/**
 * What an operator sees of password throttling, with a real `passgate start` and the real CLI on
 * the same database: the warning in the server's log, `user show`, and `user unlock`.
 */
describe('password throttling is visible and can be ended (passgate user show|unlock)', () => {
  const { file, folder } = writeConfig({
    server: { host: '127.0.0.1', port: 0 },
    passwords: { scryptCost: 10 },
    loginThrottle: { perAddress: { maxFailures: 12 } },
  });
  let server: ChildProcess;
  let output = '';
  let url: string;

  /** One sign-in through the hosted login of a fresh OIDC authorization request. */
  async function signIn(username: string, password: string): Promise<Exchange> {
    const browser = new Browser();
    const page = (await browser.follow(authorizationUrl(url))).last;
    return browser.fetch(formAction(page.body, page.url), {
      form: { _csrf: formField(page.body, '_csrf')!, username, password },
    });
  }

  const warnings = () =>
    output
      .split('\n')
      .filter((line) => line.includes('"level":40') && line.includes('refused after too many failures'));

  const auditRows = (type: string) => {
    const db = new Database(path.join(folder, 'data', 'passgate.db'), { readonly: true });
    try {
      return db
        .prepare('select username, address, details from audit_events where type = ?')
        .all(type) as Array<{
        username: string | null;
        address: string | null;
        details: string;
      }>;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    mkdirSync(path.join(folder, 'metadata', 'oidc'), { recursive: true });
    writeFileSync(path.join(folder, 'metadata', 'oidc', 'test.yaml'), JSON.stringify(TEST_CLIENT));
    for (const name of ['alice', 'bob']) {
      const added = await runCli(['user', 'add', name, '--config', file], { input: `${PASSWORD}\n` });
      expect(added.code).toBe(0);
    }
    server = spawnCli(['start', '--config', file]);
    server.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    output = await waitForOutput(server, /"msg":"ready"/, 120_000);
    url = `http://localhost:${Number(/"port":(\d+)/.exec(output)?.[1])}`;
  }, SLOW);
  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
  });

  it(
    'logs one warning naming the user and the address, shows the block, and unlocks the user',
    async () => {
      for (let i = 0; i < 5; i++) expect((await signIn('alice', WRONG)).status).toBe(401);
      // The right password is refused now, and stays refused.
      for (let i = 0; i < 2; i++) {
        const refused = await signIn('alice', PASSWORD);
        expect(refused.status).toBe(429);
        expect(refused.body).toContain('Too many attempts');
      }
      await new Promise((r) => setTimeout(r, 200)); // the log line is written asynchronously
      expect(warnings()).toHaveLength(1);
      const warning = JSON.parse(warnings()[0]!) as Record<string, unknown>;
      expect(warning).toMatchObject({ username: 'alice', address: '127.0.0.1' });
      expect(String(warning.msg)).toContain('passgate user unlock alice');
      expect(output).not.toContain(WRONG);
      expect(output).not.toContain(PASSWORD);

      const shown = await runCli(['user', 'show', 'alice', '--config', file]);
      expect(shown.code).toBe(0);
      const line = /^Throttling {4}(.*)$/m.exec(shown.stdout)?.[1];
      expect(line).toMatch(
        /^7 failed password attempts: refused until (\S+) \(`passgate user unlock alice` ends it\)$/,
      );
      const until = Date.parse(/refused until (\S+)/.exec(line!)![1]!);
      expect(until - Date.now()).toBeGreaterThan(14 * 60_000);
      expect(until - Date.now()).toBeLessThanOrEqual(15 * 60_000);
      const json = JSON.parse((await runCli(['user', 'show', 'alice', '--json', '--config', file])).stdout);
      expect(json.throttling).toEqual([{ kind: 'password', failures: 7, refusedUntil: expect.any(String) }]);
      expect((await runCli(['user', 'show', 'bob', '--config', file])).stdout).toMatch(
        /^Throttling {4}none$/m,
      );

      const unlocked = await runCli(['user', 'unlock', 'alice', '--config', file]);
      expect(unlocked).toMatchObject({
        code: 0,
        stdout: 'Sign-ins of alice are no longer throttled (cleared 7 failed password attempts).\n',
      });
      expect(auditRows('admin.user.unlock')).toEqual([
        expect.objectContaining({ username: 'alice', details: expect.stringContaining('"via":"cli"') }),
      ]);
      expect((await signIn('alice', PASSWORD)).status).toBe(303);
      expect((await runCli(['user', 'show', 'alice', '--config', file])).stdout).toMatch(
        /^Throttling {4}none$/m,
      );
      expect((await runCli(['user', 'unlock', 'alice', '--config', file])).stdout).toBe(
        'Sign-ins of alice were not throttled; nothing to clear.\n',
      );
    },
    SLOW,
  );

  it(
    'unlocks a source address with --address, in either spelling of an IPv4 address',
    async () => {
      await runCli(['user', 'unlock', '--address', '127.0.0.1', '--config', file]);
      output = '';
      // Twelve failures under twelve names: no user is throttled, the address is.
      for (let i = 0; i < 12; i++) expect((await signIn(`guess${i}`, WRONG)).status).toBe(401);
      expect((await signIn('bob', PASSWORD)).status).toBe(429);
      await new Promise((r) => setTimeout(r, 200));
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toContain('passgate user unlock --address 127.0.0.1');

      const unlocked = await runCli(['user', 'unlock', '--address', '::ffff:127.0.0.1', '--config', file]);
      expect(unlocked).toMatchObject({
        code: 0,
        stdout: 'Sign-ins from 127.0.0.1 are no longer throttled (cleared 13 failed password attempts).\n',
      });
      expect(auditRows('admin.address.unlock').at(-1)).toMatchObject({ address: '127.0.0.1' });
      expect((await signIn('bob', PASSWORD)).status).toBe(303);
    },
    SLOW,
  );

  it(
    'refuses an unlock without a user or with a wrong address, in one line',
    async () => {
      const nothing = await runCli(['user', 'unlock', '--config', file]);
      expect(nothing).toMatchObject({ code: 1, stderr: 'passgate: name a user, --address <ip>, or both\n' });
      const wrong = await runCli(['user', 'unlock', '--address', '203.0.113', '--config', file]);
      expect(wrong).toMatchObject({
        code: 1,
        stderr: 'passgate: --address: "203.0.113" is not an IPv4 or IPv6 address\n',
      });
    },
    SLOW,
  );
});
