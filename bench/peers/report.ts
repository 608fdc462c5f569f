import type { ScenarioResult } from '../report.js';

/** Issue 14's targets per journey: Passgate/peer ratio at least, Passgate CPU per sign-in at most. */
export const JOURNEY_TARGETS: Readonly<Record<string, { ratio: number; cpuMs: number }>> = {
  'journey-saml': { ratio: 2, cpuMs: 4 },
  'journey-oidc-password': { ratio: 5, cpuMs: 4 },
  'journey-oidc-otp': { ratio: 5, cpuMs: 6 },
};

/** One journey measured on a peer and on Passgate (one storage backend) in the same run. */
export interface PeerRatio {
  journey: string;
  peer: string;
  backend: string;
  peerPerSecond: number;
  passgatePerSecond: number;
  /** Passgate sign-ins/s divided by the peer's: above 1, Passgate is ahead. */
  ratio: number;
  peerCpuMsPerSignIn: number;
  passgateCpuMsPerSignIn: number;
  /** False when either side had errors or did not run: the ratio means nothing then. */
  valid: boolean;
  /** Whether the ratio and the CPU per sign-in meet {@link JOURNEY_TARGETS} (undefined: no target). */
  met?: boolean;
}

/** Passgate against each peer, journey by journey. */
export function peerRatios(
  peers: readonly ScenarioResult[],
  passgate: readonly ScenarioResult[],
): PeerRatio[] {
  return peers.flatMap((p) =>
    passgate
      .filter((r) => r.scenario === p.scenario)
      .map((r) => ({
        journey: p.scenario,
        peer: p.backend,
        backend: r.backend,
        peerPerSecond: round(p.opsPerSecond, 10),
        passgatePerSecond: round(r.opsPerSecond, 10),
        ratio: p.opsPerSecond > 0 ? round(r.opsPerSecond / p.opsPerSecond, 100) : 0,
        peerCpuMsPerSignIn: round(p.serverCpuMsPerOp, 10),
        passgateCpuMsPerSignIn: round(r.serverCpuMsPerOp, 10),
        valid: !p.aborted && !r.aborted && p.errorCount === 0 && r.errorCount === 0,
      }))
      .map((row) => {
        const target = JOURNEY_TARGETS[row.journey];
        if (!target) return row;
        return {
          ...row,
          met: row.valid && row.ratio >= target.ratio && row.passgateCpuMsPerSignIn <= target.cpuMs,
        };
      }),
  );
}

/** The side-by-side table printed after the main one. */
export function formatPeerRatios(rows: readonly PeerRatio[]): string {
  if (rows.length === 0) return '';
  const header = [
    'journey',
    'peer',
    'peer /s',
    'Passgate',
    'Passgate /s',
    'ratio',
    'CPU ms/sign-in peer | Passgate',
    'issue-14 target',
  ];
  const body = rows.map((r) => [
    r.journey,
    r.peer,
    r.peerPerSecond.toFixed(1),
    r.backend,
    r.passgatePerSecond.toFixed(1),
    r.valid ? `${r.ratio.toFixed(2)}x` : 'INVALID',
    `${r.peerCpuMsPerSignIn.toFixed(1)} | ${r.passgateCpuMsPerSignIn.toFixed(1)}`,
    targetCell(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`;
  return [
    '',
    'Side by side with the peers (same run, same concurrency and window; ratio = Passgate / peer sign-ins per second):',
    line(header),
    `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`,
    ...body.map(line),
    '  CPU ms/sign-in: the server process trees (peer: web server + FastCGI/PHP-FPM workers) per successful sign-in.',
  ].join('\n');
}

function targetCell(row: PeerRatio): string {
  const target = JOURNEY_TARGETS[row.journey];
  if (!target) return '-';
  return `>= ${target.ratio}x, <= ${target.cpuMs} ms: ${row.met ? 'met' : 'NOT MET'}`;
}

function round(n: number, scale: number): number {
  return Math.round(n * scale) / scale;
}
