import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { fakeClock, message, openStore, type Store, startDispatcher, startProvider } from './support.js';

type Provider = Awaited<ReturnType<typeof startProvider>>;

const gateway = (name: string, provider: Provider) => ({
  type: 'http',
  name,
  url: `${provider.url}/sms`,
  body: { form: { to: '{to}', text: '{text}' } },
});

describe.each(BACKENDS)('load balancing (%s)', (backend) => {
  let store: Store;
  let providers: Provider[] = [];

  beforeEach(async () => {
    store = await openStore(backend);
  });
  afterEach(async () => {
    for (const provider of providers) await provider.close();
    providers = [];
    await store?.close();
  });

  it('spreads 1,000 messages 3:1 by weight, interleaved', async () => {
    const heavy = await startProvider(() => ({ status: 200 }));
    const light = await startProvider(() => ({ status: 200 }));
    providers.push(heavy, light);
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [gateway('heavy', heavy), gateway('light', light)],
      policies: [
        {
          name: 'spread',
          document: {
            channels: ['sms'],
            strategy: 'weighted',
            members: [
              { gateway: 'light', weight: 1 },
              { gateway: 'heavy', weight: 3 },
            ],
          },
        },
      ],
    });
    const order: string[] = [];
    for (let batch = 0; batch < 100; batch++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => dispatcher.send(message())));
      order.push(...results.map((r) => r.gateway));
    }
    expect(heavy.requests.length + light.requests.length).toBe(1000);
    expect(heavy.requests.length).toBeGreaterThanOrEqual(712);
    expect(heavy.requests.length).toBeLessThanOrEqual(788);
    // Smooth weighted round-robin never sends a burst to one gateway: at most 3 in a row here.
    expect(order.join(',')).not.toMatch(/(heavy,){4}/);
    expect(order.join(',')).not.toMatch(/light,light/);
  });

  it('fails over by weight when the chosen gateway fails', async () => {
    const heavy = await startProvider(() => ({ status: 500 }));
    const light = await startProvider(() => ({ status: 200 }));
    providers.push(heavy, light);
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [gateway('heavy', heavy), gateway('light', light)],
      policies: [
        {
          name: 'spread',
          document: {
            channels: ['sms'],
            strategy: 'weighted',
            circuitBreaker: { failures: 100 },
            members: [
              { gateway: 'heavy', weight: 3 },
              { gateway: 'light', weight: 1 },
            ],
          },
        },
      ],
    });
    for (let i = 0; i < 8; i++) expect((await dispatcher.send(message())).gateway).toBe('light');
    expect(light.requests).toHaveLength(8);
    expect(heavy.requests).toHaveLength(6);
  });

  it('skips a gateway after N consecutive failures for the cool-down, then tries it once again', async () => {
    let badHealthy = false;
    const bad = await startProvider(() => (badHealthy ? { status: 200 } : { status: 500 }));
    const good = await startProvider(() => ({ status: 200 }));
    providers.push(bad, good);
    const clock = fakeClock();
    const { dispatcher } = await startDispatcher({
      store,
      clock,
      gateways: [gateway('bad', bad), gateway('good', good)],
      policies: [
        {
          name: 'breaker',
          document: {
            channels: ['sms'],
            members: [
              { gateway: 'bad', priority: 0 },
              { gateway: 'good', priority: 1 },
            ],
            circuitBreaker: { failures: 2, coolDownSeconds: 30 },
          },
        },
      ],
    });
    const send = async () => (await dispatcher.send(message())).attempts;

    expect(await send()).toBe(2);
    expect(await send()).toBe(2);
    expect(bad.requests).toHaveLength(2);
    // Open: the bad gateway is not even tried.
    expect(await send()).toBe(1);
    clock.advance(29_000);
    expect(await send()).toBe(1);
    expect(bad.requests).toHaveLength(2);

    // Half-open after the cool-down: one message tries it; failing again opens it at once.
    clock.advance(1_000);
    expect(await send()).toBe(2);
    expect(bad.requests).toHaveLength(3);
    expect(await send()).toBe(1);
    expect(bad.requests).toHaveLength(3);

    // Recovered: the trial succeeds and the gateway is first again.
    badHealthy = true;
    clock.advance(30_000);
    const recovered = await dispatcher.send(message());
    expect(recovered).toMatchObject({ gateway: 'bad', attempts: 1 });
    expect((await dispatcher.send(message())).gateway).toBe('bad');
    expect(good.requests).toHaveLength(6);
  });

  it('still tries an open gateway when every gateway is open, rather than dropping the message', async () => {
    let healthy = false;
    const only = await startProvider(() => (healthy ? { status: 200 } : { status: 500 }));
    providers.push(only);
    const { dispatcher } = await startDispatcher({
      store,
      clock: fakeClock(),
      gateways: [gateway('only', only)],
      policies: [
        {
          name: 'one',
          document: { channels: ['sms'], members: [{ gateway: 'only' }], circuitBreaker: { failures: 1 } },
        },
      ],
    });
    await expect(dispatcher.send(message())).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
    healthy = true;
    expect((await dispatcher.send(message())).gateway).toBe('only');
    expect(only.requests).toHaveLength(2);
  });
});
