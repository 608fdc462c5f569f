import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedLicenceFile, vendorKeys } from './vendor.js';

describe('seat gauges at /metrics', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    const vendor = vendorKeys();
    passgate = await startTestServer({
      config: {
        metrics: { listen: '127.0.0.1:0' },
        licences: {
          file: signedLicenceFile(vendor.privatePem, { pools: { mfa: 4, reset: 2 }, expires: '2099-12-31' }),
          publicKey: vendor.publicBase64,
          customer: 'Example Ltd',
        },
      },
    });
  });
  afterAll(() => passgate?.close());

  it('reports the seats used and the capacity of each pool, read from the store at each scrape', async () => {
    const scrape = async () => (await fetch(`${passgate.server.metricsUrl}/metrics`)).text();
    expect(await scrape()).toContain('passgate_seats_used{pool="mfa"} 0');
    const ids: string[] = [];
    for (const name of ['ann', 'bob', 'cat']) ids.push((await passgate.addUser(name, 'pw-0123456789')).id);
    await passgate.core.seats.allocate(ids, 'mfa', 'test');
    const text = await scrape();
    for (const line of [
      'passgate_seats_used{pool="mfa"} 3',
      'passgate_seats_used{pool="reset"} 0',
      'passgate_seats_capacity{pool="mfa"} 4',
      'passgate_seats_capacity{pool="reset"} 2',
    ])
      expect(text).toContain(line);
  });
});
