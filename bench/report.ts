import type { IntervalCost, ProfileSummary } from './cpuprofile.js';
import { LOGIN_STEPS } from './flows.js';
import type { LoadResult } from './load.js';
import type { BackendId, PeerId, ScenarioId } from './settings.js';

/** One scenario on one backend, as printed and written to JSON. */
export interface ScenarioResult extends LoadResult {
  /** Passgate's storage backend, or the peer that was measured instead of Passgate. */
  backend: BackendId | PeerId;
  scenario: ScenarioId;
  title: string;
  concurrency: number;
  scryptCost: number;
  /** Server CPU time over the measured window, as % of one core (200% = both vCPUs). */
  serverCpuPercent: number;
  /** The load generator's own CPU over the window, % of one core: it shares the machine. */
  benchCpuPercent: number;
  /** The PostgreSQL cluster's processes over the window, % of one core (0 for SQLite: in-process). */
  databaseCpuPercent: number;
  /**
   * Everything else on the machine over the window, % of one core (kernel, other
   * people's processes). Large values mean the numbers are not comparable between runs.
   */
  otherCpuPercent: number;
  /** Server CPU milliseconds per successful operation. */
  serverCpuMsPerOp: number;
  serverRssMb: number;
  /**
   * Requests and mean time inside the server per `METHOD route` over the window, from the
   * server's own /metrics histogram (includes waiting for the event loop under concurrency).
   */
  serverRoutes: Record<string, { count: number; meanMs: number }>;
  /** Warn/error lines the server logged during the scenario (warm-up included). */
  serverLogLines: string[];
  profile?: ProfileSummary;
  /** Server main-thread ms per step (profiled runs at concurrency 1 only). */
  stepCosts?: IntervalCost[];
  /** Whether the server ran the compiled dist/ or src/ through tsx. */
  serverCode?: string;
  /** Set when the scenario could not run at all. */
  aborted?: string;
  /** The flood scenario: how the server answered the flood in each phase, by HTTP status. */
  flood?: Record<string, Record<string, number>>;
}

/** A goal a scenario's throughput is compared with. */
/**
 * The figures of a scenario that could not run (its set-up failed): nothing measured, one set-up
 * error naming `reason`. Callers add who and what it was (backend or peer, scenario, usage).
 */
export function abortedFigures(reason: string, example = reason) {
  return {
    ops: 0,
    seconds: 0,
    opsPerSecond: 0,
    latency: { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 },
    steps: {},
    errors: { 'set-up': { count: 1, example } },
    errorCount: 1,
    attempted: 1,
    aborted: reason,
  } satisfies Partial<ScenarioResult>;
}

/**
 * The whole result of a scenario that could not run (no Samba, no SOGo, a server that would not
 * start ...), logged and reported instead of a crash.
 */
export function abortedScenario(
  context: { backend: BackendId; log(line: string): void },
  scenario: { id: ScenarioId; title: string; concurrency: number; scryptCost: number },
  error: unknown,
  serverRssMb = 0,
): ScenarioResult {
  const reason = error instanceof Error ? error.message : String(error);
  context.log(`${context.backend}/${scenario.id}: ABORTED: ${reason}`);
  return {
    backend: context.backend,
    scenario: scenario.id,
    title: scenario.title,
    concurrency: scenario.concurrency,
    scryptCost: scenario.scryptCost,
    ...abortedFigures(reason, reason.slice(0, 400)),
    serverCpuPercent: 0,
    benchCpuPercent: 0,
    databaseCpuPercent: 0,
    otherCpuPercent: 0,
    serverCpuMsPerOp: 0,
    serverRssMb,
    serverRoutes: {},
    serverLogLines: [],
  };
}

export interface Comparison {
  scenario: ScenarioId;
  label: string;
  value: number;
  source: string;
}

/** The project's targets on this 2-vCPU machine. */
export const TARGETS: readonly Comparison[] = [
  {
    scenario: 'client-credentials',
    label: 'client-credentials grants/s',
    value: 2000,
    source: 'Passgate target (issue 14)',
  },
  {
    scenario: 'login-cost4',
    label: 'complete logins/s, low hash cost',
    value: 200,
    source: 'Passgate target',
  },
  {
    scenario: 'totp-verify',
    label: 'TOTP verifications/s in the engine, one core',
    value: 15_000,
    source: 'Passgate target (issue 14)',
  },
  {
    scenario: 'policy-decide',
    label: 'policy decisions/s, 200 rules, geo lookup + rules, one core',
    value: 50_000,
    source: 'Passgate target (issue 5)',
  },
  {
    scenario: 'ad-sync',
    label: 'AD users synchronised/s (100,000 in under a minute)',
    value: 2000,
    source: 'Passgate target (issue 3)',
  },
  {
    scenario: 'saml-response',
    label: 'signed SAML responses/s (RSA-2048, SHA-256)',
    value: 400,
    source: 'Passgate target (issue 6)',
  },
];

/**
 * Keycloak's published sizing (per vCPU: 15 password logins/s, 120 client-credentials grants/s,
 * 120 refresh requests/s), times 2 vCPUs. Keycloak measured over TLS with a new connection per
 * client-credentials request; this bench uses plain HTTP with keep-alive on loopback.
 */
export const KEYCLOAK_2VCPU: readonly Comparison[] = [
  {
    scenario: 'login-cost15',
    label: 'password logins/s (default hash cost)',
    value: 30,
    source: 'Keycloak 15/s/vCPU x 2',
  },
  {
    scenario: 'client-credentials',
    label: 'client-credentials grants/s',
    value: 240,
    source: 'Keycloak 120/s/vCPU x 2',
  },
  { scenario: 'refresh', label: 'refresh grants/s', value: 240, source: 'Keycloak 120/s/vCPU x 2' },
];

/** Measured/goal ratio for every comparison and backend that ran. */
export function ratios(results: readonly ScenarioResult[], comparisons: readonly Comparison[]) {
  return comparisons.flatMap((c) =>
    results
      .filter((r) => r.scenario === c.scenario)
      .map((r) => ({
        ...c,
        backend: r.backend,
        measured: round1(r.opsPerSecond),
        ratio: Math.round((r.opsPerSecond / c.value) * 100) / 100,
        met: r.opsPerSecond >= c.value && r.errorCount === 0,
        errors: r.errorCount,
      })),
  );
}

/** The human-readable report. */
export function formatReport(results: readonly ScenarioResult[]): string {
  const out: string[] = [];
  out.push('');
  out.push(
    table(
      [
        'backend',
        'scenario',
        'conc',
        'ops/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'ops',
        'errors',
        'srv CPU',
        'srv ms/op',
        'bench CPU',
        'db CPU',
        'other CPU',
      ],
      results.map((r) => [
        r.backend,
        r.scenario,
        String(r.concurrency),
        r.aborted ? 'ABORTED' : round1(r.opsPerSecond).toFixed(1),
        r.latency.p50.toFixed(1),
        r.latency.p90.toFixed(1),
        r.latency.p99.toFixed(1),
        String(r.ops),
        r.errorCount ? `${r.errorCount} !!` : '0',
        `${Math.round(r.serverCpuPercent)}%`,
        r.serverCpuMsPerOp.toFixed(2),
        `${Math.round(r.benchCpuPercent)}%`,
        r.backend === 'postgres' ? `${Math.round(r.databaseCpuPercent)}%` : '-',
        `${Math.round(r.otherCpuPercent)}%`,
      ]),
    ),
  );
  out.push(
    '  CPU columns: % of one core over the measured window (200% = the whole 2-vCPU machine); ' +
      'db = the PostgreSQL cluster; other = kernel and any other process.\n  srv ms/op: server CPU (all threads) per successful op.',
  );

  const noisy = results.filter((r) => r.otherCpuPercent > 25);
  if (noisy.length > 0)
    out.push(
      `  WARNING: other processes took more than 25% of a core during ${noisy.map((r) => `${r.backend}/${r.scenario}`).join(', ')}:\n` +
        '  those figures understate the server (compare srv ms/op, which is less sensitive; or rerun with BENCH_QUIET_WAIT_SECONDS=60).',
    );

  const logins = results.filter((r) => r.steps.authorize);
  if (logins.length > 0) {
    out.push('');
    out.push('Login steps, p50 / p99 ms (client-observed, including queueing):');
    out.push(
      table(
        ['backend', 'scenario', ...LOGIN_STEPS],
        logins.map((r) => [
          r.backend,
          r.scenario,
          ...LOGIN_STEPS.map(
            (s) => `${r.steps[s]?.p50.toFixed(1) ?? '-'} / ${r.steps[s]?.p99.toFixed(1) ?? '-'}`,
          ),
        ]),
      ),
    );
  }

  const routed = results.filter((r) => Object.keys(r.serverRoutes).length > 0);
  if (routed.length > 0) {
    out.push('');
    out.push('Server-side mean ms per request, by route (server /metrics over the window; requests per op):');
    for (const r of routed) {
      const cells = Object.entries(r.serverRoutes)
        .sort((a, b) => b[1].count - a[1].count)
        .map(
          ([route, { count, meanMs }]) =>
            `${route} ${meanMs.toFixed(1)} ms x${(count / Math.max(1, r.ops)).toFixed(2)}`,
        );
      out.push(`  ${`${r.backend}/${r.scenario}`.padEnd(27)} ${cells.join(' | ')}`);
    }
  }

  for (const [title, comparisons] of [
    ['Targets (2 vCPU)', TARGETS],
    ['Keycloak published sizing, 2 vCPU', KEYCLOAK_2VCPU],
  ] as const) {
    const rows = ratios(results, comparisons);
    if (rows.length === 0) continue;
    out.push('');
    out.push(`${title}:`);
    out.push(
      table(
        ['backend', 'measure', 'measured', 'reference', 'ratio', ''],
        rows.map((r) => [
          r.backend,
          r.label,
          r.measured.toFixed(1),
          `${r.value} (${r.source})`,
          `${r.ratio.toFixed(2)}x`,
          r.errors > 0 ? 'INVALID (errors)' : r.met ? 'met' : 'NOT MET',
        ]),
      ),
    );
    if (comparisons === KEYCLOAK_2VCPU)
      out.push(
        "  Keycloak's figures were measured over TLS (a new connection per client-credentials request);\n" +
          '  here: plain HTTP with keep-alive on loopback, and the load generator shares the same 2 vCPUs.',
      );
  }

  const failed = results.filter((r) => r.errorCount > 0 || r.aborted);
  out.push('');
  if (failed.length === 0) out.push('Errors: none (every login ended with a verified ID token).');
  for (const r of failed) {
    out.push(`ERRORS in ${r.backend}/${r.scenario}: ${r.errorCount} of ${r.attempted} attempts failed`);
    if (r.aborted) out.push(`  aborted: ${r.aborted}`);
    for (const [key, { count, example }] of Object.entries(r.errors))
      out.push(`  ${String(count).padStart(6)} x ${key}\n           e.g. ${example}`);
  }
  for (const r of results.filter((x) => x.serverLogLines.length > 0)) {
    out.push(
      `Server log (warn+) during ${r.backend}/${r.scenario}: ${r.serverLogLines.length} lines, first:`,
    );
    for (const line of r.serverLogLines.slice(0, 3)) out.push(`  ${line.slice(0, 300)}`);
  }
  return out.join('\n');
}

/** Where a server's main thread went during one scenario. */
export function formatProfile(r: ScenarioResult, rows = 12): string {
  const p = r.profile;
  if (!p) return '';
  const section = (title: string, list: ProfileSummary['byArea']) =>
    [
      `  ${title}:`,
      ...list
        .slice(0, rows)
        .map((x) => `    ${x.percent.toFixed(1).padStart(5)}%  ${String(x.ms).padStart(6)} ms  ${x.name}`),
    ].join('\n');
  const steps = (r.stepCosts ?? []).map(
    (c) =>
      `    ${c.label.padEnd(18)} ${c.busyMsEach.toFixed(2).padStart(6)} ms  (${c.areas
        .map((a) => `${a.name} ${a.msEach.toFixed(2)}`)
        .join(', ')})`,
  );
  return [
    ...(steps.length > 0
      ? [`Server main-thread ms per step, ${r.backend}/${r.scenario} (one request at a time):`, ...steps]
      : []),
    `Profile ${r.backend}/${r.scenario}: main thread busy ${p.busyMs} of ${p.windowMs} ms sampled ` +
      `(${Math.round((p.busyMs / Math.max(1, p.windowMs)) * 100)}%); ${r.ops} ops -> ` +
      `${(p.busyMs / Math.max(1, r.ops)).toFixed(2)} ms main-thread per op`,
    section('self time by area', p.byArea),
    section('self time by owner (node internals and native code charged to their caller)', p.byOwner),
    section('self time by function', p.topSelf),
    section('inclusive time by function', p.topInclusive),
  ].join('\n');
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  return [line(headers), `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`, ...rows.map(line)].join('\n');
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
