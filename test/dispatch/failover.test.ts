import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { message, openStore, type Store, startDispatcher, startProvider } from './support.js';

type Provider = Awaited<ReturnType<typeof startProvider>>;

function httpGateway(name: string, provider: Provider) {
  return {
    type: 'http',
    name,
    url: `${provider.url}/send?to={to}`,
    body: { json: { to: '{to}', text: '{text}', ref: '{id}' } },
    messageId: { jsonPath: 'id' },
  };
}

describe.each(BACKENDS)('failover between HTTP gateways (%s)', (backend) => {
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

  it('moves past a gateway that answers 500 and one that hangs, within the timeout, and delivers once', async () => {
    const broken = await startProvider(() => ({ status: 500, body: '{"error":"internal"}' }));
    const stuck = await startProvider(() => 'hang');
    let delivered = 0;
    const good = await startProvider(() => ({
      status: 200,
      body: JSON.stringify({ id: `good-${++delivered}` }),
    }));
    providers.push(broken, stuck, good);
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [httpGateway('broken', broken), httpGateway('stuck', stuck), httpGateway('good', good)],
      policies: [
        {
          name: 'sms-failover',
          document: {
            channels: ['sms'],
            strategy: 'priority',
            attemptTimeoutSeconds: 0.5,
            members: [
              { gateway: 'good', priority: 3 },
              { gateway: 'stuck', priority: 2 },
              { gateway: 'broken', priority: 1 },
            ],
          },
        },
      ],
    });
    try {
      const sent = message();
      const started = performance.now();
      const result = await dispatcher.send(sent);
      const elapsed = performance.now() - started;

      expect(result).toMatchObject({
        gateway: 'good',
        attempts: 3,
        providerMessageId: 'good-1',
        policy: 'sms-failover',
      });
      expect(elapsed).toBeGreaterThanOrEqual(490);
      expect(elapsed).toBeLessThan(2000);
      expect(broken.requests).toHaveLength(1);
      expect(stuck.requests).toHaveLength(1);
      expect(good.requests).toHaveLength(1);
      expect(JSON.parse(good.requests[0]!.body)).toEqual({ to: sent.to, text: sent.text, ref: sent.id });
      expect(good.requests[0]!.url).toBe('/send?to=%2B33612345642');
      await expect.poll(() => stuck.counters.aborted).toBe(1);

      const attempts = await store.attempts.forMessage(sent.id);
      expect(attempts.map((a) => [a.gateway, a.outcome])).toEqual([
        ['broken', 'failed'],
        ['stuck', 'timeout'],
        ['good', 'sent'],
      ]);
      expect(attempts[0]?.error).toBe('GATEWAY_REJECTED: HTTP 500');
      expect(attempts[1]?.error).toMatch(/GATEWAY_TIMEOUT: stuck: no answer within 500 ms/);
      expect(attempts[1]?.latencyMs).toBeGreaterThanOrEqual(490);
      expect(attempts.every((a) => a.destination === '+33 6 •• •• •• 42')).toBe(true);
    } finally {
      await dispatcher.close();
    }
  });

  it('raises DISPATCH_FAILED with the public message when every gateway fails', async () => {
    const broken = await startProvider(() => ({ status: 503 }));
    providers.push(broken);
    const { dispatcher } = await startDispatcher({ store, gateways: [httpGateway('only', broken)] });
    const failure = await dispatcher.send(message()).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'DISPATCH_FAILED',
      status: 503,
      publicMessage: 'The passcode could not be sent. Try another method or contact your administrator.',
    });
    expect((failure as Error).message).toMatch(/only failed/);
  });

  it('raises NO_GATEWAY for a channel nothing carries', async () => {
    const good = await startProvider(() => ({ status: 200, body: '{}' }));
    providers.push(good);
    const { dispatcher } = await startDispatcher({ store, gateways: [httpGateway('sms-only', good)] });
    expect(dispatcher.supports('voice')).toBe(false);
    await expect(dispatcher.send(message({ channel: 'voice' }))).rejects.toMatchObject({
      code: 'NO_GATEWAY',
    });
    expect(good.requests).toHaveLength(0);
  });

  it('without a policy tries the gateways of the channel in configuration order', async () => {
    const first = await startProvider(() => ({ status: 502 }));
    const second = await startProvider(() => ({ status: 200, body: '{"id":"s-1"}' }));
    providers.push(first, second);
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [httpGateway('first', first), httpGateway('second', second)],
    });
    const result = await dispatcher.send(message());
    expect(result).toMatchObject({ gateway: 'second', attempts: 2, policy: '(default sms)' });
    expect(first.requests).toHaveLength(1);
  });

  it('uses a policy named for the login when it covers the channel', async () => {
    const a = await startProvider(() => ({ status: 200, body: '{"id":"a"}' }));
    const b = await startProvider(() => ({ status: 200, body: '{"id":"b"}' }));
    providers.push(a, b);
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [httpGateway('a', a), httpGateway('b', b)],
      policies: [
        { name: 'usual', document: { channels: ['sms'], members: [{ gateway: 'a' }, { gateway: 'b' }] } },
        { name: 'vip', document: { channels: ['sms'], members: [{ gateway: 'b' }, { gateway: 'a' }] } },
      ],
    });
    expect((await dispatcher.send(message())).gateway).toBe('a');
    expect((await dispatcher.send(message(), { policy: 'vip' })).gateway).toBe('b');
    expect((await dispatcher.send(message(), { policy: 'deleted-meanwhile' })).gateway).toBe('a');
  });
});
