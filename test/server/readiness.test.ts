import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { freePort } from '../support/free-port.js';
import { startCluster, stopCluster } from '../support/postgres-cluster.js';
import { startTestServer } from '../support/server.js';

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readyz = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { status: string; checks: Record<string, string> },
  };
};

describe('a database that is unreachable at start-up', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-late-pg-'));
  let server: RunningServer | undefined;
  const logs: string[] = [];

  afterAll(async () => {
    await server?.close();
    stopCluster(dir, true);
  });

  it('is reported clearly, retried with backoff, and /readyz turns ready once it is back', async () => {
    const port = await freePort();
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: path.join(dir, 'data'),
        metadataDir: path.join(dir, 'metadata'),
        server: { host: '127.0.0.1', port: 0 },
        database: {
          url: `postgres://postgres:s3cret@127.0.0.1:${port}/postgres`,
          retryInitialDelayMs: 100,
          retryMaxDelayMs: 400,
        },
      },
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    server = await startServer(config, { logger: createLogger('info', sink) });
    const url = `http://127.0.0.1:${server.port}`;

    // Alive, not ready, and saying why.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const down = await eventually(
      () => readyz(url),
      (r) => r.body.checks.database?.includes('ECONNREFUSED') ?? false,
    );
    expect(down.status).toBe(503);
    expect(down.body.checks.database).toMatch(
      /^unreachable: postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED/,
    );
    const page = await fetch(`${url}/oidc/auth`);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');

    // Retries with growing delays, and never logs the password.
    await eventually(
      async () => logs.filter((l) => l.includes('database unreachable')).length,
      (n) => n >= 4,
    );
    const delays = logs
      .filter((l) => l.includes('database unreachable'))
      .map((l) => Number(/retrying in ([\d.]+)s/.exec(l)?.[1]));
    expect(delays.slice(0, 4)).toEqual([0.1, 0.2, 0.4, 0.4]);
    expect(logs.join('\n')).not.toContain('s3cret');

    // The database comes up: Passgate migrates and becomes ready by itself.
    startCluster(dir, port);
    await server.ready;
    const up = await eventually(
      () => readyz(url),
      (r) => r.status === 200,
    );
    expect(up.body).toEqual({ status: 'ready', checks: { database: 'ok', directory: 'ok' } });
    expect((await fetch(`${url}/.well-known/openid-configuration`)).status).toBe(200);

    // It goes away again: not ready; it returns: ready again, with no restart.
    stopCluster(dir);
    const lost = await eventually(
      () => readyz(url),
      (r) => r.status === 503,
    );
    expect(lost.body.checks.database).toMatch(/^error: /);
    startCluster(dir, port);
    expect(
      (
        await eventually(
          () => readyz(url),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200);
  });
});

describe('operations endpoints', () => {
  it('exposes Prometheus metrics, including sign-in outcomes, on the metrics listener', async () => {
    const passgate = await startTestServer({ config: { metrics: { listen: '127.0.0.1:0' } } });
    try {
      expect((await readyz(passgate.url)).body.status).toBe('ready');
      await fetch(`${passgate.url}/.well-known/openid-configuration`);
      const response = await fetch(`${passgate.server.metricsUrl}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(
        /passgate_http_request_duration_seconds_count\{method="GET",route="\/\.well-known\/openid-configuration",status="200"\} 1/,
      );
      expect(text).toMatch(/passgate_process_cpu_seconds_total/);
      expect(text).toContain('# HELP passgate_first_factor_total');
    } finally {
      await passgate.close();
    }
  });

  it('echoes a request id and uses it in the log', async () => {
    const passgate = await startTestServer();
    try {
      const response = await fetch(`${passgate.url}/oidc/jwks`, {
        headers: { 'x-request-id': 'trace-abc.123' },
      });
      expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
      const generated = await fetch(`${passgate.url}/oidc/jwks`, {
        headers: { 'x-request-id': 'bad id with spaces' },
      });
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const line = passgate.logs.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'trace-abc.123');
      expect(line).toMatchObject({ req: { method: 'GET', url: '/oidc/jwks' }, res: { statusCode: 200 } });
    } finally {
      await passgate.close();
    }
  });
});
