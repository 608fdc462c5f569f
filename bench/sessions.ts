import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sessions } from '../src/engine/sessions.js';
import { SESSION_COOKIE } from '../src/login/sessions.js';
import { loadConfig } from '../src/server/config.js';
import { composeCore } from '../src/server/core.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import type { InProcessContext, InProcessScenario } from './dispatch.js';
import { discoverTarget } from './flows.js';
import { Browser } from './journeys/browser.js';
import { passgateSamlIdp } from './journeys/passgate.js';
import { BENCH_SP2_FILES, samlSsoHop } from './journeys/saml.js';
import {
  type ChildServer,
  createUsers,
  type HeapFigures,
  scrapeHeap,
  serverEnv,
  startChildServer,
  writeServerConfig,
} from './server.js';
import { measureInProcess } from './usage.js';

/** Live sessions in the store while lookups run, and while the server answers from them (the 10,000). */
const SESSIONS = 10_000;
/** Users the sessions belong to (local users of the store, as a sign-in would have them). */
const USERS = 100;
/** Sessions answered at once while the server uses each of them once. */
const HOP_CONCURRENCY = 4;
/** The target for the server process with {@link SESSIONS} live sessions. */
const SERVER_RSS_TARGET_MB = 200;

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * What single sign-on sessions cost: the lookup of a browser's cookie among 10,000 live sessions
 * (SHA-256 of the id, one indexed read), one at a time on one core, whose p50 is the latency a
 * session adds to a request (target: at most 0.3 ms); then the memory of a real server (one
 * process, started as the journeys start it) that answered a SAML SP from each of the 10,000
 * sessions once, its RSS read from /proc (target: at most 200 MB).
 */
export const sessionLookup: InProcessScenario = {
  id: 'session-lookup',
  title: `single sign-on sessions: lookup among ${SESSIONS.toLocaleString('en')} live sessions (hash, one indexed read), one at a time; server RSS after answering from each`,
  async run(context) {
    const { backend, databaseUrl, masterKey, settings, databaseCpuSeconds, log } = context;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-sessions-'));
    const server = {
      dir,
      name: `${backend}-sessions`,
      databaseUrl,
      masterKey,
      mode: settings.mode,
      scryptCost: 4,
      workers: 1,
    };
    const configFile = writeServerConfig(server);
    mkdirSync(path.join(dir, 'metadata', 'saml'), { recursive: true });
    for (const [name, text] of Object.entries(BENCH_SP2_FILES))
      writeFileSync(path.join(dir, 'metadata', 'saml', name), text);
    const users = Array.from({ length: USERS }, (_, i) => ({
      username: `session-${String(i).padStart(3, '0')}`,
      password: randomBytes(12).toString('hex'),
    }));
    await createUsers(configFile, serverEnv(server, 0), users);

    const database = await openDatabase(databaseUrl);
    await migrateToLatest(database);
    const now = Date.now();
    const config = loadConfig({ env: {}, overrides: { dataDir: dir, database: { url: databaseUrl } } });
    const core = composeCore(config, database, () => now);
    const sessions = new Sessions(core.repositories.sessions, core.audit, config.sessions, () => now);
    const secrets: string[] = [];
    try {
      const owners = await Promise.all(users.map((u) => core.users.findByUsername(u.username)));
      for (let i = 0; i < SESSIONS; i++) {
        const { secret } = await sessions.start({
          user: owners[i % USERS]!,
          amr: ['pwd'],
          mfa: false,
          address: '127.0.0.1',
          country: null,
        });
        secrets.push(secret);
      }
      let next = 0;
      const lookup = async () => {
        const found = await sessions.find(secrets[next++ % SESSIONS]);
        if (!found) throw new Error('a live session was not found');
      };
      const concurrency = 1;
      const { load, usage } = await measureInProcess(settings, databaseCpuSeconds, concurrency, [
        { op: lookup },
      ]);
      log(
        `${backend}/session-lookup: ${load.ops} lookups among ${SESSIONS} sessions, ` +
          `${load.opsPerSecond.toFixed(0)}/s, p50 ${load.latency.p50.toFixed(3)} ms (target at most 0.3 ms)`,
      );
      const rss = await serverRssWithSessions(context, server, configFile, secrets);
      const { traces: _traces, ...measured } = load;
      return {
        ...measured,
        backend,
        scenario: 'session-lookup',
        title: sessionLookup.title,
        concurrency,
        ...usage,
        serverRssMb: rss,
      };
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** What a server process's RSS is made of: anonymous and file-backed pages, and V8's heap. */
interface ServerMemory {
  anonMb: number;
  fileMb: number;
  heap: HeapFigures;
}

/** The RSS's parts (/proc/PID/status) and the heap (the server's /metrics) of a one-process server. */
async function memoryOf(server: ChildServer): Promise<ServerMemory> {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    anonMb: mb(kb('RssAnon') * 1024),
    fileMb: mb(kb('RssFile') * 1024),
    heap: await scrapeHeap(server.url),
  };
}

/** The heap beside the RSS: what of the RSS is V8's heap (and which space), and what lies outside it. */
function describeMemory({ anonMb, fileMb, heap }: ServerMemory): string {
  const spaces = Object.entries(heap.spacesMb)
    .filter(([, size]) => size >= 1)
    .map(([name, size]) => `${name.replace(/_space$/, '')} ${size}`)
    .join(', ');
  return (
    `RSS anonymous ${anonMb} MB, file-backed ${fileMb} MB; V8 heap ${heap.totalMb} MB reserved ` +
    `(${spaces}), ${heap.usedMb} MB used; external ${heap.externalMb} MB`
  );
}

/**
 * Starts a server (one process) on the store that holds the sessions, has it answer the bench's
 * second SP once from each session (the cookie in a browser of its own), and reads its RSS.
 */
async function serverRssWithSessions(
  { backend, log }: InProcessContext,
  options: Parameters<typeof startChildServer>[0],
  configFile: string,
  secrets: readonly string[],
): Promise<number> {
  const started: ChildServer = await startChildServer(options, configFile);
  try {
    const readyRss = mb(started.rssBytes());
    const ready = await memoryOf(started);
    const target = await discoverTarget(started.url);
    const idp = passgateSamlIdp(target);
    const began = performance.now();
    let next = 0;
    // Halfway, to tell memory that grows with the sessions served from what a warm server holds anyway.
    let halfwayRss = 0;
    const answerEach = async () => {
      for (let i = next++; i < secrets.length; i = next++) {
        const browser = new Browser();
        browser.setCookie(`${SESSION_COOKIE}=${secrets[i]}; Path=/`, target.baseUrl);
        await samlSsoHop(idp, browser);
        if (i === secrets.length / 2) halfwayRss = mb(started.rssBytes());
      }
    };
    await Promise.all(Array.from({ length: HOP_CONCURRENCY }, answerEach));
    const seconds = (performance.now() - began) / 1000;
    const rss = mb(started.rssBytes());
    const after = await memoryOf(started);
    log(
      `${backend}/session-lookup: server (pid ${started.pid}, ${started.processCount()} process) answered from each of ` +
        `${secrets.length} live sessions in ${seconds.toFixed(0)} s; RSS ${readyRss} MB when ready, ` +
        `${halfwayRss} MB after ${secrets.length / 2}, ${rss} MB after all (target at most ${SERVER_RSS_TARGET_MB} MB)`,
    );
    log(`${backend}/session-lookup: server memory when ready: ${describeMemory(ready)}`);
    log(`${backend}/session-lookup: server memory after all: ${describeMemory(after)}`);
    return rss;
  } finally {
    await started.stop();
  }
}
