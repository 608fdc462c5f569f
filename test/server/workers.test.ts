import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sqliteFileOf } from '../../src/config/database-url.js';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { type Browser, formField } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { discover, signInWithPassword } from '../support/relying-party.js';
import { startWorkersTestServer, TEST_CLIENT, type WorkersTestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');
const CLEAN_UP_SECONDS = 1;

/** One request on a connection of its own: node:cluster hands each new connection to the next worker. */
function freshRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The value of a metric line (labels as written), or 0 when absent. */
function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const byWorker = (text: string) =>
  [1, 2].map((w) => metricValue(text, 'passgate_worker_requests_total', `{worker="${w}"}`));

/** Whether a client-credentials grant of `clientId` succeeds on one fresh connection. */
async function clientKnown(url: string, clientId: string, secret: string): Promise<boolean> {
  const answer = await freshRequest(`${url}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return answer.status === 200;
}

/** Posts the second-factor form of `page` on a connection of its own, with the browser's cookies. */
async function answerFresh(browser: Browser, page: { url: string; body: string }, code: string) {
  const action = /action="(\/login\/[\w-]+\/mfa)"/.exec(page.body)![1]!;
  const target = new URL(action, page.url).toString();
  return freshRequest(target, {
    method: 'POST',
    headers: {
      cookie: await browser.jar.getCookieString(target),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _csrf: formField(page.body, '_csrf')!, action: 'verify', code }).toString(),
  });
}

describe.each(BACKENDS)('Passgate with 2 worker processes (%s)', (backend) => {
  let passgate: WorkersTestServer;

  beforeAll(async () => {
    passgate = await startWorkersTestServer({
      backend,
      workers: 2,
      config: {
        retention: { cleanUpIntervalSeconds: CLEAN_UP_SECONDS },
        oidc: { watchMetadata: false },
        saml: { watchMetadata: false },
      },
    });
  }, 120_000);
  afterAll(() => passgate?.close());

  it('starts its workers with the server V8 settings, though the primary was started without them', async () => {
    const pids = passgate.workerPids();
    expect(pids).toHaveLength(2);
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      for (const flag of SERVER_NODE_FLAGS) expect(argv).toContain(flag);
    }
    const primary = readFileSync(`/proc/${passgate.pid}/cmdline`, 'utf8').split('\0');
    expect(primary.filter((arg) => SERVER_NODE_FLAGS.includes(arg))).toEqual([]);
  });

  it('serves requests from both processes and /metrics sums them, whichever worker answers', async () => {
    const pids = passgate.workerPids();
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    const before = await passgate.metrics();
    const healthzBefore = metricValue(
      before,
      'passgate_http_request_duration_seconds_count',
      '{method="GET",route="/healthz",status="200"}',
    );
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => freshRequest(`${passgate.url}/healthz`)),
    );
    expect(statuses.map((s) => s.status)).toEqual(Array(20).fill(200));
    // Each scrape lands on one worker or the other: every one of them has the sum.
    for (let i = 0; i < 4; i++) {
      const text = (
        await freshRequest(`${passgate.url}/metrics`, {
          headers: { authorization: 'Bearer workers-test-metrics-token' },
        })
      ).body;
      expect(
        metricValue(
          text,
          'passgate_http_request_duration_seconds_count',
          '{method="GET",route="/healthz",status="200"}',
        ),
      ).toBe(healthzBefore + 20);
      const [first, second] = byWorker(text);
      const [firstBefore, secondBefore] = byWorker(before);
      expect(first! - firstBefore!).toBeGreaterThanOrEqual(2);
      expect(second! - secondBefore!).toBeGreaterThanOrEqual(2);
    }
  });

  it('accepts a TOTP code used at once in several sign-ins on both workers exactly once', async () => {
    const tina = await passgate.addUser('tina', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: tina.id, label: 'tina', type: 'totp', secret: SECRET },
      'Passgate',
    );
    const config = await discover(passgate.url);
    const signIns = await Promise.all(
      Array.from({ length: 4 }, () => signInWithPassword(config, 'tina', PASSWORD, { scope: 'openid' })),
    );
    for (const { page } of signIns) expect(page.url).toMatch(/\/login\/[\w-]+\/mfa$/);
    const before = byWorker(await passgate.metrics());
    const code = totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    const answers = await Promise.all(signIns.map(({ browser, page }) => answerFresh(browser, page, code)));
    const after = byWorker(await passgate.metrics());
    // Both workers took some of the answers (each scrape counts once, on the worker that took it).
    expect(after[0]! - before[0]!).toBeGreaterThanOrEqual(1);
    expect(after[1]! - before[1]!).toBeGreaterThanOrEqual(1);
    const accepted = answers.filter((a) => a.status === 302 || a.status === 303);
    expect(accepted, JSON.stringify(answers.map((a) => a.status))).toHaveLength(1);
    expect(String(accepted[0]!.headers.location)).toMatch(/\/oidc\/auth\//);
    for (const refused of answers.filter((a) => a !== accepted[0])) expect(refused.status).toBe(401);
  });

  // Declared for SQLite only (PostgreSQL has no file to checkpoint), so no run reports it as skipped.
  if (backend === 'sqlite') {
    it('checkpoints the SQLite file for its workers (the primary does: a worker’s loop never waits for it)', async () => {
      const file = sqliteFileOf(passgate.config.database.url)!;
      const before = statSync(file).mtimeMs;
      // Written to the log by the test's connection, which checkpoints nothing itself.
      await passgate.addUser('checkpointed', PASSWORD);
      const deadline = Date.now() + 5000;
      while (statSync(file).mtimeMs === before && Date.now() < deadline) await sleep(100);
      expect(statSync(file).mtimeMs).toBeGreaterThan(before);
    });
  }

  it('runs the scheduled clean-up once per interval, not once per worker', async () => {
    const first = metricValue(await passgate.metrics(), 'passgate_clean_up_runs_total');
    const started = Date.now();
    await sleep(6000);
    const runs = metricValue(await passgate.metrics(), 'passgate_clean_up_runs_total') - first;
    const intervals = (Date.now() - started) / (CLEAN_UP_SECONDS * 1000);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(Math.ceil(intervals) + 1);
  });

  it('reloads the application metadata of every worker on SIGHUP to the primary', async () => {
    const late = { ...TEST_CLIENT, client_id: 'late-app', client_secret: 'late-app-secret-0123456789' };
    writeFileSync(path.join(passgate.config.metadataDir, 'oidc', 'late-app.yaml'), stringify(late));
    // Not watched: no worker knows the new application yet.
    expect(await clientKnown(passgate.url, late.client_id, late.client_secret)).toBe(false);
    const reloaded = passgate.logs.filter((l) => l.includes('"msg":"configuration reloaded"')).length;
    process.kill(passgate.pid, 'SIGHUP');
    await passgate.waitForLogs(/"msg":"configuration reloaded"/, reloaded + 2);
    const before = byWorker(await passgate.metrics());
    const known = await Promise.all(
      Array.from({ length: 8 }, () => clientKnown(passgate.url, late.client_id, late.client_secret)),
    );
    const after = byWorker(await passgate.metrics());
    expect(known).toEqual(Array(8).fill(true));
    expect(after[0]! - before[0]!).toBeGreaterThanOrEqual(2);
    expect(after[1]! - before[1]!).toBeGreaterThanOrEqual(2);
  });

  it('replaces a worker that dies, says so in the log, and serves from both again', async () => {
    const [victim, survivor] = passgate.workerPids();
    process.kill(victim!, 'SIGKILL');
    const [line] = await passgate.waitForLogs(/"msg":"worker exited; starting a replacement"/);
    expect(JSON.parse(line!)).toMatchObject({ level: 40, pid: victim, signal: 'SIGKILL' });
    // While the replacement starts, every new connection is served by a ready worker: the
    // replacement takes none before its application is composed (no "Passgate is starting").
    let replaced = false;
    const statuses: number[] = [];
    const probing = (async () => {
      while (!replaced) {
        statuses.push((await freshRequest(`${passgate.url}/.well-known/openid-configuration`)).status);
        await sleep(5);
      }
    })();
    await passgate.waitForLogs(/"msg":"worker serving"/, 3);
    replaced = true;
    await probing;
    await passgate.waitForLogs(/"msg":"warmed up"/, 3); // the replacement's deferred doors loaded
    expect(statuses.length).toBeGreaterThan(5);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const pids = passgate.workerPids();
    expect(pids).toHaveLength(2);
    expect(pids).toContain(survivor);
    expect(pids).not.toContain(victim);
    const before = byWorker(await passgate.metrics());
    await Promise.all(Array.from({ length: 10 }, () => freshRequest(`${passgate.url}/healthz`)));
    const after = byWorker(await passgate.metrics());
    expect(after[0]! - before[0]!).toBeGreaterThanOrEqual(2);
    expect(after[1]! - before[1]!).toBeGreaterThanOrEqual(2);
  });
});
