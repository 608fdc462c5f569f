import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as client from 'openid-client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/crypto/password.js';
import { openDatabase } from '../../src/store/database.js';
import { UsersRepository } from '../../src/store/repositories/users.js';
import { spawnCli, waitForOutput, writeConfig } from '../support/cli.js';
import { freePort } from '../support/free-port.js';
import { restartCluster, startCluster, stopCluster } from '../support/postgres-cluster.js';
import { discover } from '../support/relying-party.js';
import { TEST_CLIENT } from '../support/server.js';
import {
  type SignInLoad,
  type SignInOutcome,
  signInOnce,
  startSignInLoad,
  tally,
} from '../support/sign-in-load.js';

const PASSWORD = 'outage-password-1';
/** How the Passgate process under test ended, if it did (it must not). */
const exits: string[] = [];
const USERS = ['ada', 'bob', 'cyd', 'dee'];

const readyz = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { status: string; checks: Record<string, string> },
  };
};

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (accept(value) || Date.now() > deadline || exits.length > 0) return value;
    await sleep(100);
  }
}

/** Ends every other session of the cluster with pg_terminate_backend; returns how many. */
async function terminateBackends(databaseUrl: string): Promise<number> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  admin.on('error', () => {});
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity
        where pid <> pg_backend_pid() and backend_type = 'client backend'`,
    );
    return Number(rows[0].n);
  } finally {
    await admin.end();
  }
}

/** Outcomes of sign-ins that started and ended within [from, to]. */
const within = (outcomes: SignInOutcome[], from: number, to: number) =>
  outcomes.filter((o) => o.startedAt >= from && o.endedAt <= to);

/**
 * Issue 11 item 0: PostgreSQL restarted (`pg_ctl restart -m fast`) or stopped for 10 s while
 * users sign in must not kill Passgate. The server runs as its own process (`passgate start`) on
 * a private cluster, so that a crash is an exit of that process, as in production.
 */
describe('PostgreSQL restarted or stopped while users sign in', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-outage-pg-'));
  let server: ChildProcess;
  let output = '';
  let url: string;
  let databaseUrl: string;
  let rp: client.Configuration;
  const allOutcomes: SignInOutcome[] = [];

  beforeAll(async () => {
    databaseUrl = startCluster(dir, await freePort());
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const { file, folder } = writeConfig({
      // Two workers, whatever the machine: the outage is lived by several processes at once.
      server: { host: '127.0.0.1', port, publicUrl: url, shutdownGraceSeconds: 2, workers: 2 },
      database: { url: databaseUrl, retryInitialDelayMs: 100, retryMaxDelayMs: 500 },
      passwords: { scryptCost: 10 },
      log: { level: 'info' },
      // Every sign-in of the load comes from loopback: one address, far above the per-address limits.
      rateLimit: { enabled: false },
    });
    mkdirSync(path.join(folder, 'metadata', 'oidc'), { recursive: true });
    writeFileSync(path.join(folder, 'metadata', 'oidc', 'test-app.yaml'), stringify(TEST_CLIENT));
    server = spawnCli(['start', '--config', file]);
    server.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    server.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    server.on('exit', (code, signal) => exits.push(`exit code ${code} signal ${signal}`));
    // Every worker serving before the load: what is tested is the database going away, not a start.
    await waitForOutput(server, /"msg":"worker serving"[\s\S]*"msg":"worker serving"/, 60_000);

    const database = await openDatabase(databaseUrl);
    try {
      const users = new UsersRepository(database.db, Date.now);
      const passwordHash = await hashPassword(PASSWORD, { cost: 10, blockSize: 8, parallelization: 1 });
      for (const username of USERS) {
        await users.create({
          username,
          displayName: username,
          email: `${username}@example.test`,
          mobile: null,
          groups: [],
          disabled: false,
          passwordHash,
        });
      }
    } finally {
      await database.close();
    }
    rp = await discover(url);
  }, 60_000);

  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    stopCluster(dir, true);
  });

  const load = (): SignInLoad => {
    const running = startSignInLoad({
      config: rp,
      users: USERS,
      password: PASSWORD,
      maxPerWorker: 400,
      pauseAfterFailureMs: 100,
    });
    // A dead server ends the load at once (its exit is what the test then reports).
    server.once('exit', () => void running.stop());
    return {
      outcomes: running.outcomes,
      stop: async () => {
        await running.stop();
        allOutcomes.push(...running.outcomes);
      },
    };
  };

  const report = (phase: string, outcomes: SignInOutcome[]) => {
    const counts = tally(outcomes);
    const steps: Record<string, number> = {};
    for (const o of outcomes) if (o.kind === 'unavailable') steps[o.step] = (steps[o.step] ?? 0) + 1;
    console.log(
      `${phase}: ${JSON.stringify(counts)} (total ${outcomes.length}; unavailable at ${JSON.stringify(steps)})`,
    );
    return counts;
  };

  /** The server's log: no request failed with a 500, and how often it saw a connection go. */
  const checkLog = () => {
    expect(output).not.toContain('"msg":"request failed"');
    expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
    console.log(
      `server log: ${output.split('database connection lost').length - 1} "database connection lost", ${
        output.split('"msg":"unavailable"').length - 1
      } "unavailable" (503) lines`,
    );
  };

  const brokenOf = (outcomes: SignInOutcome[]) => outcomes.filter((o) => o.kind === 'broken');

  it('survives `pg_ctl restart -m fast` in the middle of sign-ins, with clean answers, and goes on by itself', async () => {
    const running = load();
    await eventually(
      async () => running.outcomes.filter((o) => o.kind === 'success').length,
      (n) => n >= 8,
    );
    const restartAt = Date.now();
    await restartCluster(dir);
    const restartedAt = Date.now();
    // Going on by itself: sign-ins that start after the restart succeed again.
    await eventually(
      async () => running.outcomes.filter((o) => o.kind === 'success' && o.startedAt > restartedAt).length,
      (n) => n >= 8,
    );
    await running.stop();

    const counts = report('pg_ctl restart -m fast under 4 clients', running.outcomes);
    report(
      `  of which in flight during the restart (${restartedAt - restartAt} ms)`,
      running.outcomes.filter((o) => o.startedAt <= restartedAt && o.endedAt >= restartAt),
    );
    expect(exits, output.slice(-3000)).toEqual([]);
    expect(brokenOf(running.outcomes)).toEqual([]);
    expect(counts.success).toBeGreaterThanOrEqual(16);
    checkLog();
    expect((await readyz(url)).status).toBe(200);
  }, 120_000);

  it('survives its connections being terminated by an administrator again and again (57P01)', async () => {
    const running = load();
    await eventually(
      async () => running.outcomes.filter((o) => o.kind === 'success').length,
      (n) => n >= 4,
    );
    // What a DBA or a failover tool does; each terminated session gets FATAL 57P01, as in a restart.
    let terminated = 0;
    const terminatedAt = Date.now();
    for (let i = 0; i < 20 && exits.length === 0; i++) {
      terminated += await terminateBackends(databaseUrl);
      await sleep(250);
    }
    const doneAt = Date.now();
    await eventually(
      async () => running.outcomes.filter((o) => o.kind === 'success' && o.startedAt > doneAt).length,
      (n) => n >= 4,
    );
    await running.stop();

    const counts = report(
      `${terminated} connections terminated in 20 rounds under 4 clients`,
      running.outcomes,
    );
    report(
      '  of which in flight during the rounds',
      running.outcomes.filter((o) => o.startedAt <= doneAt && o.endedAt >= terminatedAt),
    );
    expect(exits, output.slice(-3000)).toEqual([]);
    expect(terminated).toBeGreaterThan(0);
    expect(brokenOf(running.outcomes)).toEqual([]);
    expect(counts.success).toBeGreaterThanOrEqual(8);
    checkLog();
  }, 120_000);

  it('answers "temporarily unavailable" while PostgreSQL is stopped for 10 s, /readyz says so, and signs users in again once it is back', async () => {
    const running = load();
    await eventually(
      async () => running.outcomes.filter((o) => o.kind === 'success').length,
      (n) => n >= 4,
    );
    const stoppedAt = Date.now();
    stopCluster(dir);
    const whileDown: Array<Awaited<ReturnType<typeof readyz>>> = [];
    while (Date.now() - stoppedAt < 10_000) {
      whileDown.push(await readyz(url));
      await sleep(1000);
    }
    const startAt = Date.now();
    startCluster(dir, Number(new URL(databaseUrl).port));
    const ready = await eventually(
      () => readyz(url),
      (r) => r.status === 200,
    );
    const recoveredAt = Date.now();
    await eventually(
      async () => running.outcomes.filter((o) => o.kind === 'success' && o.startedAt > recoveredAt).length,
      (n) => n >= 8,
    );
    await running.stop();

    const counts = report('PostgreSQL stopped 10 s under 4 clients', running.outcomes);
    const down = within(running.outcomes, stoppedAt + 500, startAt);
    const downCounts = report('  of which while it was down', down);
    report(
      '  of which after it was back',
      running.outcomes.filter((o) => o.startedAt > recoveredAt),
    );
    expect(exits, output.slice(-3000)).toEqual([]);
    expect(brokenOf(running.outcomes)).toEqual([]);
    // Every sign-in tried while the database was away got the clean 503 answer.
    expect(downCounts.unavailable).toBeGreaterThan(10);
    expect(downCounts.success).toBe(0);
    expect(whileDown.length).toBeGreaterThanOrEqual(8);
    for (const sample of whileDown) {
      expect(sample.status).toBe(503);
      expect(sample.body.checks.database).toMatch(/^error: /);
    }
    expect(ready.status).toBe(200);
    expect(counts.success).toBeGreaterThanOrEqual(12);
    checkLog();
    // And a sign-in right now, in the same process.
    expect((await signInOnce(rp, 'ada', PASSWORD)).kind).toBe('success');
  }, 120_000);

  it('lost no sign-in the server reported as done: every access token, grant and audit record is stored', async () => {
    const successes = allOutcomes.filter((o) => o.kind === 'success');
    expect(successes.length).toBeGreaterThan(0);
    const database = await openDatabase(databaseUrl);
    try {
      const tokens = await database.db
        .selectFrom('oidc_payloads')
        .select(['id', 'grant_id'])
        .where('model', '=', 'AccessToken')
        .execute();
      const stored = new Map(tokens.map((t) => [t.id, t.grant_id]));
      const grants = new Set(
        (
          await database.db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Grant').execute()
        ).map((g) => g.id),
      );
      const lost = successes.filter((o) => {
        const grant = stored.get(o.accessToken);
        return grant === undefined || grant === null || !grants.has(grant);
      });
      const audited = await database.db
        .selectFrom('audit_events')
        .innerJoin('users', 'users.id', 'audit_events.user_id')
        .select(['users.username', 'audit_events.type'])
        .where('audit_events.outcome', '=', 'success')
        .execute();
      console.log(
        `sign-ins reported done: ${successes.length}; lost access tokens or grants: ${lost.length}`,
      );
      expect(lost).toEqual([]);
      for (const user of USERS) {
        const done = successes.filter((o) => o.user === user).length;
        const logins = audited.filter((a) => a.username === user && a.type === 'login').length;
        const passwords = audited.filter((a) => a.username === user && a.type === 'login.password').length;
        expect(logins, `audit "login" rows of ${user}`).toBeGreaterThanOrEqual(done);
        expect(passwords, `audit "login.password" rows of ${user}`).toBeGreaterThanOrEqual(done);
      }
    } finally {
      await database.close();
    }
    expect(exits).toEqual([]);
  }, 60_000);
});
