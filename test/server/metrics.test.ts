import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStart, writeConfig } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const TOKEN_VARIABLE = 'PASSGATE_TEST_METRICS_TOKEN';

const scrape = (url: string, token?: string) =>
  fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('/metrics by default', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer();
  });
  afterAll(() => passgate?.close());

  it('is not served on the public port: process and sign-in figures are not for anyone who asks', async () => {
    const response = await scrape(passgate.url);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('passgate_');
    expect(passgate.server.metricsUrl).toBeUndefined();
  });
});

describe('/metrics on a listener of its own (metrics.listen)', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer({ config: { metrics: { listen: '127.0.0.1:0' } } });
  });
  afterAll(() => passgate?.close());

  it('serves the Prometheus text there, and neither the metrics on the public port nor the application there', async () => {
    const metricsUrl = passgate.server.metricsUrl!;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(passgate.url);
    const response = await scrape(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toContain('# HELP passgate_first_factor_total');
    expect((await scrape(passgate.url)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/.well-known/openid-configuration`)).status).toBe(404);
  });
});

describe('/metrics behind a bearer token', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    process.env[TOKEN_VARIABLE] = TOKEN;
    passgate = await startTestServer({ config: { metrics: { tokenEnv: TOKEN_VARIABLE } } });
  });
  afterAll(async () => {
    await passgate?.close();
    delete process.env[TOKEN_VARIABLE];
  });

  it('answers 401 with a Bearer challenge without the token or with another one', async () => {
    for (const token of [undefined, 'metrics-token-0123456789abcdeX', `${TOKEN}x`, 'short']) {
      const response = await scrape(passgate.url, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="passgate-metrics"');
      expect(await response.text()).not.toContain('passgate_');
    }
  });

  it('serves the metrics on the public port to a scraper with the token, and never logs the token', async () => {
    const response = await scrape(passgate.url, TOKEN);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('passgate_http_request_duration_seconds');
    expect(passgate.logs.join('\n')).not.toContain(TOKEN);
  });

  it('reads the token from a file, and requires it on the metrics listener too', async () => {
    const { folder } = writeConfig({});
    const tokenFile = path.join(folder, 'metrics-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const other = await startTestServer({ config: { metrics: { listen: '127.0.0.1:0', tokenFile } } });
    try {
      expect((await scrape(other.server.metricsUrl!)).status).toBe(401);
      expect((await scrape(other.server.metricsUrl!, TOKEN)).status).toBe(200);
      expect((await scrape(other.url, TOKEN)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('passgate start with a metrics token that cannot be used', () => {
  it.each([
    ['an unset variable', {}, `metrics.tokenEnv: environment variable ${TOKEN_VARIABLE} is not set`],
    [
      'a short token',
      { [TOKEN_VARIABLE]: 'short' },
      'metrics.tokenEnv: the token must have 16 characters or more',
    ],
  ])('stops with exit code 2 and one line naming the key for %s', async (_case, env, line) => {
    const { file } = writeConfig({ server: { port: 0 }, metrics: { tokenEnv: TOKEN_VARIABLE } });
    const run = await runStart(['--config', file], { env });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter((l) => l && !l.startsWith('oidc-provider WARNING'))).toEqual([
      `passgate: configuration error: ${line}`,
    ]);
  });
});
