import { describe, expect, it } from 'vitest';
import { formatPeerRatios, peerRatios } from '../../bench/peers/report.js';
import type { ScenarioResult } from '../../bench/report.js';

const result = (backend: string, scenario: string, opsPerSecond: number, cpuMs: number, errors = 0) =>
  ({ backend, scenario, opsPerSecond, serverCpuMsPerOp: cpuMs, errorCount: errors }) as ScenarioResult;

describe('peer ratios', () => {
  it('divides Passgate by the peer per journey and judges the issue-14 targets', () => {
    const rows = peerRatios(
      [result('simplesamlphp', 'journey-saml', 200, 9), result('lemonldap', 'journey-oidc-password', 50, 37)],
      [result('sqlite', 'journey-saml', 500, 3.5), result('sqlite', 'journey-oidc-password', 100, 5)],
    );
    expect(rows).toMatchObject([
      { journey: 'journey-saml', peer: 'simplesamlphp', ratio: 2.5, valid: true, met: true },
      { journey: 'journey-oidc-password', peer: 'lemonldap', ratio: 2, valid: true, met: false },
    ]);
    expect(formatPeerRatios(rows)).toMatch(
      /journey-saml\s+simplesamlphp\s+200\.0\s+sqlite\s+500\.0\s+2\.50x/,
    );
  });

  it('a side with errors makes the ratio invalid, never met', () => {
    const [row] = peerRatios(
      [result('simplesamlphp', 'journey-saml', 200, 9)],
      [result('sqlite', 'journey-saml', 900, 1, 3)],
    );
    expect(row).toMatchObject({ valid: false, met: false });
    expect(formatPeerRatios([row!])).toContain('INVALID');
  });
});
