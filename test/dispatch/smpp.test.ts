import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startSmsc } from './smsc.js';
import { captureLogger, eventually, message, openStore, type Store, startDispatcher } from './support.js';

const ENV = { SMPP_PASSWORD: 'smpp-pass' };

function smppGateway(url: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'smpp',
    name: 'smsc',
    url,
    systemId: 'passgate',
    password: '{env.SMPP_PASSWORD}',
    sender: 'Passgate',
    reconnectSeconds: 0.05,
    ...extra,
  };
}

describe.each(BACKENDS)('SMS through a real SMPP peer (%s)', (backend) => {
  let store: Store;

  beforeAll(async () => {
    store = await openStore(backend);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('submits the message and records the delivery receipt the SMSC sends back', async () => {
    const smsc = await startSmsc();
    const { logger, lines } = captureLogger();
    const { dispatcher } = await startDispatcher({
      store,
      logger,
      env: ENV,
      gateways: [smppGateway(smsc.url)],
    });
    try {
      const sent = message({ to: '+33 6 12 34 56 42' });
      const result = await dispatcher.send(sent);
      expect(result).toMatchObject({ gateway: 'smsc', attempts: 1 });
      expect(smsc.state.submits).toHaveLength(1);
      const submitted = smsc.state.submits[0]!;
      expect(submitted).toMatchObject({
        destination: '33612345642',
        source: 'Passgate',
        registeredDelivery: 1,
      });
      expect(submitted.text).toBe(sent.text);
      expect(result.providerMessageId).toBe(submitted.messageId);

      const attempt = await eventually(async () => {
        const [found] = await store.attempts.forMessage(sent.id);
        return found?.receiptStatus ? found : undefined;
      });
      expect(attempt).toMatchObject({
        gateway: 'smsc',
        channel: 'sms',
        outcome: 'sent',
        destination: '+33 6 •• •• •• 42',
        providerMessageId: submitted.messageId,
        receiptStatus: 'delivered',
      });
      expect(attempt.receiptAt).toBeGreaterThan(0);
      await eventually(async () => (smsc.state.receiptsAnswered === 1 ? true : undefined));
      const log = lines.join('\n');
      expect(log).not.toContain('481592');
      expect(log).not.toContain('33612345642');
    } finally {
      await dispatcher.close();
      await smsc.close();
    }
  });

  it('sends text outside the GSM alphabet as UCS2', async () => {
    const smsc = await startSmsc({ receipt: false });
    const { dispatcher } = await startDispatcher({ store, env: ENV, gateways: [smppGateway(smsc.url)] });
    try {
      const text = 'Ваш код: 481592. Ο κωδικός σας είναι 481592.';
      await dispatcher.send(message({ text, language: 'ru' }));
      expect(smsc.state.submits[0]).toMatchObject({ dataCoding: 8, text });
    } finally {
      await dispatcher.close();
      await smsc.close();
    }
  });

  it('fails an attempt that gets no submit_sm_resp before the timeout', async () => {
    const smsc = await startSmsc({ answerSubmits: false });
    const { dispatcher } = await startDispatcher({
      store,
      env: ENV,
      gateways: [smppGateway(smsc.url)],
      policies: [
        {
          name: 'sms',
          document: { channels: ['sms'], members: [{ gateway: 'smsc' }], attemptTimeoutSeconds: 0.3 },
        },
      ],
    });
    try {
      const sent = message();
      await expect(dispatcher.send(sent)).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
      const [attempt] = await store.attempts.forMessage(sent.id);
      expect(attempt).toMatchObject({ outcome: 'timeout', providerMessageId: null });
      expect(attempt?.latencyMs).toBeGreaterThanOrEqual(290);
      expect(attempt?.latencyMs).toBeLessThan(1500);
    } finally {
      await dispatcher.close();
      await smsc.close();
    }
  });

  it('reconnects after the SMSC drops the link, and keeps it alive with enquire_link', async () => {
    const smsc = await startSmsc({ receipt: false });
    const { dispatcher } = await startDispatcher({
      store,
      env: ENV,
      gateways: [smppGateway(smsc.url, { enquireLinkSeconds: 0.1 })],
    });
    try {
      await dispatcher.send(message());
      await eventually(async () => (smsc.state.enquireLinks >= 2 ? true : undefined));
      smsc.dropConnections();
      await eventually(async () => (smsc.state.binds === 2 ? true : undefined));
      await dispatcher.send(message());
      expect(smsc.state.binds).toBe(2);
      expect(smsc.state.submits).toHaveLength(2);
    } finally {
      await dispatcher.close();
      await smsc.close();
    }
  });

  it('drops and rebuilds a link whose enquire_link goes unanswered', async () => {
    const smsc = await startSmsc({ receipt: false, answerEnquireLinks: false });
    const { dispatcher } = await startDispatcher({
      store,
      env: ENV,
      gateways: [smppGateway(smsc.url, { enquireLinkSeconds: 0.1 })],
    });
    try {
      await dispatcher.send(message());
      await eventually(async () => (smsc.state.binds >= 2 ? true : undefined));
    } finally {
      await dispatcher.close();
      await smsc.close();
    }
  });
});
