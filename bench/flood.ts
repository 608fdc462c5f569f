import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { InProcessScenario } from './dispatch.js';
import { BENCH_CLIENT, discoverTarget, login, type Target } from './flows.js';
import { formAction, formField, type Reply, send } from './http.js';
import { type LatencyStats, summarize } from './load.js';
import type { ScenarioResult } from './report.js';
import type { BenchUser } from './scenarios.js';
import { createUsers, serverEnv, startChildServer, writeServerConfig } from './server.js';

/** Legitimate sign-ins in flight, each from an address of its own (a fresh one per sign-in). */
const CONCURRENCY = 4;
/** Flood requests in flight at most: above it the generator counts the request as not sent. */
const MAX_FLOOD_IN_FLIGHT = 256;
/** The one address of the single-source flood. */
const FLOODER = '203.0.113.1';

type Phase = 'quiet' | 'one address' | 'many addresses';

/** What one phase measured: the legitimate sign-ins, and how the server answered the flood. */
interface PhaseResult {
  phase: Phase;
  latency: LatencyStats;
  signIns: number;
  errors: Record<string, { count: number; example: string }>;
  /** Flood answers by request kind and HTTP status ('not sent' when the generator was saturated). */
  flood: Record<string, number>;
}

let addressCounter = 0;
/** A fresh address in 100.64.0.0/10 for each legitimate sign-in. */
const legitimateAddress = () => {
  const n = addressCounter++;
  return `100.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`;
};
/** A random address in 10.0.0.0/8 for each request of the many-address flood. */
const randomAddress = () =>
  `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}`;

/** An AuthnRequest from an issuer no SP has: read, parsed and refused (SAML_UNKNOWN_SP). */
function unknownSpRequest(): string {
  const id = `_${randomBytes(16).toString('hex')}`;
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}">` +
    '<saml:Issuer>https://flood.example/sp</saml:Issuer></samlp:AuthnRequest>';
  return encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));
}

/**
 * The flood's requests in turn: an OIDC authorization request of the registered client (an
 * interaction written), a SAML AuthnRequest (parsed, refused), a login page that does not exist
 * (a read), and a wrong password on a real login page (authorize, page, POST: a throttle row).
 */
function floodRequests(target: Target, headers: () => Record<string, string>) {
  const authorizeUrl = `${target.baseUrl}/oidc/auth?${new URLSearchParams({
    client_id: BENCH_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: BENCH_CLIENT.redirect_uris[0]!,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  })}`;
  return [
    ['authorize', async () => (await send(authorizeUrl, { headers: headers() })).status],
    [
      'saml-sso',
      async () =>
        (await send(`${target.baseUrl}/saml/sso?SAMLRequest=${unknownSpRequest()}`, { headers: headers() }))
          .status,
    ],
    [
      'login-unknown',
      async () =>
        (
          await send(`${target.baseUrl}/login/${randomBytes(16).toString('base64url')}`, {
            headers: headers(),
          })
        ).status,
    ],
    [
      'wrong-password',
      async () => {
        const from = headers();
        const authorize = await send(authorizeUrl, { headers: from });
        const location = authorize.headers.get('location');
        if (!location) return authorize.status;
        const pageUrl = new URL(location, target.baseUrl).href;
        const cookies = (...replies: Reply[]) =>
          replies
            .flatMap((reply) => reply.headers.getSetCookie())
            .map((line) => line.split(';')[0])
            .join('; ');
        const page = await send(pageUrl, { headers: { ...from, cookie: cookies(authorize) } });
        const csrf = formField(page.body, '_csrf');
        const action = formAction(page.body, pageUrl);
        if (page.status !== 200 || !csrf || !action) return page.status;
        const posted = await send(action, {
          headers: { ...from, cookie: cookies(authorize, page) },
          form: { _csrf: csrf, username: 'nobody', password: 'wrong password' },
        });
        return posted.status;
      },
    ],
  ] as const;
}

/** Sends the flood at `rate` requests per second until `stop` is set; counts the answers. */
function startFlood(target: Target, rate: number, headers: () => Record<string, string>) {
  const counts: Record<string, number> = {};
  const requests = floodRequests(target, headers);
  let next = 0;
  let inFlight = 0;
  let due = 0;
  const tickMs = 10;
  const count = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const timer = setInterval(() => {
    due += (rate * tickMs) / 1000;
    for (; due >= 1; due--) {
      if (inFlight >= MAX_FLOOD_IN_FLIGHT) {
        count('not sent');
        continue;
      }
      inFlight++;
      const [kind, request] = requests[next++ % requests.length]!;
      request()
        .then((status) => count(`${kind} ${status}`))
        .catch(() => count(`${kind} failed`))
        .finally(() => {
          inFlight--;
        });
    }
  }, tickMs);
  return {
    counts,
    stop: async () => {
      clearInterval(timer);
      while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

/** Legitimate OIDC sign-ins (password) in a closed loop for `ms`, each from a fresh address. */
async function legitimateSignIns(target: Target, users: readonly BenchUser[], ms: number) {
  const latencies: number[] = [];
  const errors: PhaseResult['errors'] = {};
  const until = performance.now() + ms;
  await Promise.all(
    users.map(async (user) => {
      while (performance.now() < until) {
        const at = performance.now();
        try {
          await login(
            target,
            user.username,
            user.password,
            {},
            {
              scope: 'openid profile',
              headers: { 'x-forwarded-for': legitimateAddress() },
            },
          );
          latencies.push(performance.now() - at);
        } catch (error) {
          const key = (error as { key?: string }).key ?? 'sign-in';
          errors[key] ??= { count: 0, example: (error as Error).message };
          errors[key].count++;
        }
      }
    }),
  );
  return { latencies, errors };
}

const ratio = (under: number, quiet: number) => (quiet > 0 ? (under / quiet).toFixed(2) : '-');

/**
 * Legitimate sign-ins while unauthenticated requests flood the server at a fixed rate
 * (`BENCH_FLOOD_RATE`): quiet first, then the flood from one address (what a per-address limit
 * stops: it is answered 429 before any work), then from a random address per request (what no
 * per-address limit stops: only cheap rejection and the cost of each request bound it). Reports
 * the legitimate p50/p99 of each phase and the ratio to quiet; the default limits are on, the
 * bench is the one trusted proxy (X-Forwarded-For).
 */
export const flood: InProcessScenario = {
  id: 'flood',
  title: 'flood: legitimate OIDC sign-ins while unauthenticated requests arrive at a fixed rate',
  async run({ backend, settings, log }) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-flood-'));
    const options = {
      dir,
      name: 'flood',
      databaseUrl: `sqlite:${path.join(dir, 'data', 'passgate.db')}`,
      masterKey: randomBytes(32).toString('base64'),
      mode: settings.mode,
      scryptCost: 4,
      // The default limits, and the bench as the one trusted proxy: it says where each request comes from.
      extra: {
        server: { host: '127.0.0.1', shutdownGraceSeconds: 2, trustedProxies: ['127.0.0.1/32'] },
        rateLimit: {},
      },
    };
    const configFile = writeServerConfig(options);
    const users: BenchUser[] = Array.from({ length: CONCURRENCY }, (_, i) => ({
      username: `flood-${i + 1}`,
      password: `flood password ${i + 1} ${randomBytes(6).toString('hex')}`,
    }));
    await createUsers(configFile, serverEnv(options, 0), users);
    const server = await startChildServer(options, configFile);
    const rate = settings.floodRate;
    try {
      const target = await discoverTarget(server.url);
      await legitimateSignIns(target, users, settings.warmupSeconds * 1000);
      const phases: PhaseResult[] = [];
      for (const phase of ['quiet', 'one address', 'many addresses'] as const) {
        const headers =
          phase === 'one address'
            ? () => ({ 'x-forwarded-for': FLOODER })
            : () => ({ 'x-forwarded-for': randomAddress() });
        const running = phase === 'quiet' ? undefined : startFlood(target, rate, headers);
        const { latencies, errors } = await legitimateSignIns(target, users, settings.seconds * 1000);
        await running?.stop();
        const result = {
          phase,
          latency: summarize(latencies),
          signIns: latencies.length,
          errors,
          flood: running?.counts ?? {},
        };
        phases.push(result);
        log(
          `${backend}/flood: ${phase}${phase === 'quiet' ? '' : ` at ${rate}/s`}: legitimate p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms ` +
            `(${(latencies.length / settings.seconds).toFixed(1)} sign-ins/s); flood answers ${JSON.stringify(result.flood)}`,
        );
      }
      const [quiet, one, many] = phases as [PhaseResult, PhaseResult, PhaseResult];
      const errors: ScenarioResult['errors'] = {};
      for (const p of phases)
        for (const [key, e] of Object.entries(p.errors)) errors[`${p.phase}: ${key}`] = e;
      const summary =
        `quiet p50/p99 ${quiet.latency.p50}/${quiet.latency.p99} ms; ` +
        `one address ${one.latency.p50}/${one.latency.p99} ms (p99 x${ratio(one.latency.p99, quiet.latency.p99)}); ` +
        `many addresses ${many.latency.p50}/${many.latency.p99} ms (p99 x${ratio(many.latency.p99, quiet.latency.p99)})`;
      log(`${backend}/flood: ${summary}`);
      return {
        backend,
        scenario: 'flood',
        title: `${flood.title} (${rate}/s): ${summary}`,
        concurrency: CONCURRENCY,
        scryptCost: 4,
        ops: many.signIns,
        seconds: settings.seconds,
        opsPerSecond: many.signIns / settings.seconds,
        latency: many.latency,
        steps: { quiet: quiet.latency, 'one address': one.latency, 'many addresses': many.latency },
        errors,
        errorCount: Object.values(errors).reduce((n, e) => n + e.count, 0),
        attempted: phases.reduce((n, p) => n + p.signIns, 0),
        serverCpuPercent: 0,
        benchCpuPercent: 0,
        databaseCpuPercent: 0,
        otherCpuPercent: 0,
        serverCpuMsPerOp: 0,
        serverRssMb: Math.round(server.rssBytes() / 1048576),
        serverRoutes: {},
        serverLogLines: server.logs.slice(-50),
        flood: Object.fromEntries(phases.map((p) => [p.phase, p.flood])),
      } satisfies ScenarioResult;
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
