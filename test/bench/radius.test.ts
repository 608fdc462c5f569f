import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radiusAccessRequests } from '../../bench/radius.js';
import { RadiusNas } from '../../bench/radius-client.js';
import { readSettings } from '../../bench/settings.js';
import { startRadiusTestServer } from '../support/radclient.js';
import type { TestServer } from '../support/server.js';

const SECRET = 'radius-bench-test-secret-0123';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_BENCH_SECRET';

/** The RADIUS benchmark's load generator and scenario, run briefly: no timing, only their results checked. */
describe('bench radius', () => {
  let passgate: TestServer;
  let port: number;

  beforeAll(async () => {
    ({ passgate, port } = await startRadiusTestServer({
      name: 'bench',
      secret: SECRET,
      secretVariable: SECRET_VARIABLE,
    }));
    await passgate.addUser('rita', 'rita password 1');
  });
  afterAll(async () => {
    await passgate?.close();
  });

  it('the load generator is answered Access-Accept (Passgate requires its Message-Authenticator) and counts a reject as an error', async () => {
    const nas = new RadiusNas({ host: '127.0.0.1', port }, SECRET);
    try {
      await nas.accessRequest('rita', 'rita password 1');
      await expect(nas.accessRequest('rita', 'wrong')).rejects.toThrow('Access-Reject');
      const wrongSecret = new RadiusNas({ host: '127.0.0.1', port }, 'not-the-secret-of-the-client');
      // Passgate drops a request whose Message-Authenticator does not verify: no answer.
      await expect(wrongSecret.accessRequest('rita', 'rita password 1')).rejects.toThrow('timeout');
      wrongSecret.close();
    } finally {
      nas.close();
    }
  });

  it('the scenario measures FreeRADIUS, Passgate PAP and PAP + HOTP with every request accepted', async () => {
    const settings = readSettings(
      { BENCH_SECONDS: '1', BENCH_WARMUP_SECONDS: '1', BENCH_BACKENDS: 'sqlite' },
      [],
    );
    const lines: string[] = [];
    const result = await radiusAccessRequests.run({
      backend: 'sqlite',
      databaseUrl: 'sqlite::memory:',
      masterKey: '',
      settings,
      databaseCpuSeconds: () => 0,
      log: (line) => lines.push(line),
    });
    expect(result.aborted, lines.join('\n')).toBeUndefined();
    expect(result.errors, lines.join('\n')).toEqual({});
    expect(Object.keys(result.steps)).toEqual([
      'FreeRADIUS PAP',
      'Passgate PAP',
      'Passgate PAP + HOTP inline',
    ]);
    for (const latency of Object.values(result.steps)) expect(latency.count).toBeGreaterThan(0);
    expect(result.serverCpuMsPerOp).toBeGreaterThan(0);
    expect(result.title).toMatch(
      /Passgate PAP \d+\/s \(x[\d.]+\), PAP \+ HOTP \d+\/s \(x[\d.]+, target >= 0\.5\)/,
    );
  }, 120_000);
});
