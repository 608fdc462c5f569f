import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learningSchema } from '../../src/config/policies-schema.js';
import { LearnedTrust } from '../../src/policy/authentication/context/learned-trust.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { AuditRepository } from '../../src/store/repositories/audit.js';
import { TrustedNetworksRepository } from '../../src/store/repositories/trusted-networks.js';
import { UsersRepository } from '../../src/store/repositories/users.js';
import { runCli, writeConfig } from '../support/cli.js';

const DAY = 24 * 60 * 60 * 1000;

describe('passgate trust', () => {
  const { folder, file } = writeConfig({});
  const url = `sqlite:${path.join(folder, 'data', 'passgate.db')}`;
  const cli = (...args: string[]) => runCli([...args, '--config', file]);
  let database: Database;
  /** The service on the CLI's database, as the server would record successes (time movable). */
  let trustAt: (at: number) => LearnedTrust;

  beforeAll(async () => {
    writeConfig({ database: { url } }, folder);
    database = await openDatabase(url);
    await migrateToLatest(database);
    const users = new UsersRepository(database.db, Date.now);
    trustAt = (at) =>
      new LearnedTrust(
        new TrustedNetworksRepository(database.db),
        learningSchema.parse({ enabled: true }),
        () => at,
      );
    const alice = (await users.create({ username: 'alice' })).id;
    const bob = (await users.create({ username: 'bob' })).id;
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      await trustAt(now).recordMfaSuccess(alice, `203.0.113.${i + 1}`);
      await trustAt(now).recordMfaSuccess(bob, '203.0.113.9');
      await trustAt(now - 40 * DAY).recordMfaSuccess(alice, '198.51.100.7');
    }
    await trustAt(now).recordMfaSuccess(alice, '2001:db8:1:2::1');
  });

  afterAll(async () => {
    await database?.close();
  });

  it('lists every learned network with its user, state, successes and end of trust', async () => {
    const run = await cli('trust', 'list');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^USER +NETWORK +STATE +SUCCESSES +TRUSTED UNTIL$/);
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 4))).toEqual([
      ['alice', '198.51.100.0/24', 'expired', '0'],
      ['alice', '2001:db8:1:2::/64', 'learning', '1'],
      ['alice', '203.0.113.0/24', 'trusted', '3'],
      ['bob', '203.0.113.0/24', 'trusted', '3'],
    ]);
    expect(lines[3]).toMatch(/ \d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });

  it('lists one user as JSON', async () => {
    const run = await cli('trust', 'list', 'bob', '--json');
    expect(JSON.parse(run.stdout)).toEqual([
      {
        username: 'bob',
        network: '203.0.113.0/24',
        state: 'trusted',
        successes: 3,
        trustedUntil: expect.stringMatching(/Z$/),
        lastSuccessAt: expect.stringMatching(/Z$/),
      },
    ]);
  });

  it('revokes one network named by any address in it', async () => {
    const run = await cli('trust', 'revoke', 'Alice', '203.0.113.77');
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: 'Network 203.0.113.0/24 of alice: revoked.\n' });
    const list = JSON.parse((await cli('trust', 'list', 'alice', '--json')).stdout) as { state: string }[];
    expect(list.map((e) => e.state)).toEqual(['expired', 'learning', 'revoked']);
    const [event] = await new AuditRepository(database.db, Date.now).recent({ type: 'trust.revoked' });
    expect(event?.details).toMatchObject({ network: '203.0.113.0/24', count: 1 });
    const again = await cli('trust', 'revoke', 'alice', '203.0.113.0/24');
    expect(again.stdout).toBe('Network 203.0.113.0/24 of alice: already revoked.\n');
  });

  it.each([
    [['revoke', 'alice'], 'passgate: name a network, or use --all for every one\n'],
    [['revoke', 'alice', '203.0.113.0/24', '--all'], 'passgate: give a network or --all, not both\n'],
    [['revoke', 'nobody', '--all'], 'passgate: no user "nobody"\n'],
    [['list', 'nobody'], 'passgate: no user "nobody"\n'],
    [['revoke', 'alice', '192.0.2.0/24'], 'passgate: no learned network 192.0.2.0/24 for alice\n'],
    [['revoke', 'bob', '2001:db8:1:2::/64'], 'passgate: no learned network 2001:db8:1:2::/64 for bob\n'],
    [['revoke', 'alice', 'office'], 'passgate: "office" is not an IP address\n'],
  ])('refuses trust %j with one clear line', async (args, message) => {
    const run = await cli('trust', ...args);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: message });
  });

  it('revokes every network of one user with --all and leaves the others alone', async () => {
    const run = await cli('trust', 'revoke', 'alice', '--all');
    expect(run).toMatchObject({ code: 0, stdout: 'Revoked 2 networks of alice.\n' });
    const list = JSON.parse((await cli('trust', 'list', '--json')).stdout) as {
      username: string;
      state: string;
    }[];
    expect(list.map((e) => [e.username, e.state])).toEqual([
      ['alice', 'revoked'],
      ['alice', 'revoked'],
      ['alice', 'revoked'],
      ['bob', 'trusted'],
    ]);
  });

  it('says so when there is nothing to list', async () => {
    const { file: empty } = writeConfig({});
    const run = await runCli(['trust', 'list', '--config', empty]);
    expect(run).toMatchObject({ code: 0, stdout: 'No learned networks.\n' });
  });
});
