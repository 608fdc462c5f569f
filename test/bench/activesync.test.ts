import { describe, expect, inject, it } from 'vitest';
import { activesyncProxy } from '../../bench/activesync.js';
import { readSettings } from '../../bench/settings.js';

/** The ActiveSync benchmark run briefly against SOGo on the run's PostgreSQL: no timing, only its results checked. */
describe('bench activesync', () => {
  it('measures FolderSync straight to SOGo and through Passgate, most requests answered', async () => {
    const settings = readSettings(
      { BENCH_SECONDS: '1', BENCH_WARMUP_SECONDS: '1', BENCH_BACKENDS: 'postgres' },
      [],
    );
    const lines: string[] = [];
    const result = await activesyncProxy.run({
      backend: 'postgres',
      databaseUrl: inject('postgresUrl'),
      masterKey: '',
      settings,
      databaseCpuSeconds: () => 0,
      log: (line) => lines.push(line),
    });
    expect(result.aborted, lines.join('\n')).toBeUndefined();
    // Through Passgate none fails: a kept-alive connection SOGo resets as it is reused gets the
    // request sent again on a fresh one. SOGo (one worker) still refuses a few direct requests under
    // load (fetch failed): rare, not none (docs/development.md).
    expect(
      Object.keys(result.errors ?? {}).filter((label) => label.includes('through Passgate')),
      lines.join('\n'),
    ).toEqual([]);
    expect(result.errorCount, lines.join('\n')).toBeLessThanOrEqual(result.attempted / 4);
    expect(Object.keys(result.steps ?? {})).toEqual([
      'FolderSync SOGo direct',
      'FolderSync through Passgate',
      'OPTIONS SOGo direct',
      'OPTIONS through Passgate',
    ]);
    for (const latency of Object.values(result.steps ?? {}))
      expect(latency.count, lines.join('\n')).toBeGreaterThan(0);
    // Passgate's CPU less its idle CPU: over a 1 s window it may round to 0, never below.
    expect(result.serverCpuMsPerOp).toBeGreaterThanOrEqual(0);
    expect(result.title).toMatch(
      /FolderSync: direct \d+\/s, through Passgate \d+\/s \(x[\d.]+\), latency added p50 -?[\d.]+ ms, p99 -?[\d.]+ ms, Passgate CPU [\d.]+ ms per request; OPTIONS: direct/,
    );
  }, 180_000);
});
