import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { createReceiptsRouter } from '../../src/dispatch/receipts-router.js';
import { BACKENDS } from '../support/databases.js';
import { message, openStore, type Store, startDispatcher, startProvider } from './support.js';

const SECRET = 'receipt-secret-0123456789';

describe.each(BACKENDS)('POST /dispatch/receipts/:gateway (%s)', (backend) => {
  let store: Store;
  let dispatcher: Dispatcher;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let app: express.Express;
  let providerMessageId: string;
  let messageId: string;

  beforeAll(async () => {
    store = await openStore(backend);
    provider = await startProvider(() => ({
      status: 202,
      body: '{"messages":[{"id":"p-77","status":"accepted"}]}',
    }));
    ({ dispatcher } = await startDispatcher({
      store,
      env: { RECEIPT_SECRET: SECRET },
      gateways: [
        {
          type: 'http',
          name: 'sms-api',
          url: `${provider.url}/messages`,
          body: { json: { destination: '{toDigits}', content: '{text}' } },
          success: { jsonPath: 'messages.0.status', jsonEquals: 'accepted' },
          messageId: { jsonPath: 'messages.0.id' },
          receipts: { secret: '{env.RECEIPT_SECRET}', idField: 'message.id', statusField: 'message.state' },
        },
        { type: 'http', name: 'no-callbacks', url: `${provider.url}/other` },
      ],
    }));
    const sent = message();
    messageId = sent.id;
    providerMessageId = (await dispatcher.send(sent)).providerMessageId ?? '';
    app = express();
    app.use(createReceiptsRouter(dispatcher, { maxBodyBytes: 1024 }));
  });
  afterAll(async () => {
    await dispatcher?.close();
    await provider?.close();
    await store?.close();
  });

  const receipt = (status = 'delivered') => ({ message: { id: providerMessageId, state: status } });
  const recorded = async () => (await store.attempts.forMessage(messageId))[0]?.receiptStatus ?? null;

  it('read the provider id from the JSON response', () => {
    expect(providerMessageId).toBe('p-77');
  });

  it('rejects a receipt without a secret (401) and records nothing', async () => {
    const response = await request(app).post('/dispatch/receipts/sms-api').send(receipt());
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: 'RECEIPT_UNAUTHORIZED',
      message: 'The delivery receipt is not authenticated.',
    });
    expect(await recorded()).toBeNull();
  });

  it('rejects a wrong secret in the header or the query (403)', async () => {
    const inHeader = await request(app)
      .post('/dispatch/receipts/sms-api')
      .set('X-Passgate-Token', 'guess')
      .send(receipt());
    expect(inHeader.status).toBe(403);
    const inQuery = await request(app)
      .post(`/dispatch/receipts/sms-api?token=${SECRET.slice(0, -1)}`)
      .send(receipt());
    expect(inQuery.status).toBe(403);
    const longer = await request(app).post(`/dispatch/receipts/sms-api?token=${SECRET}0`).send(receipt());
    expect(longer.status).toBe(403);
    expect(await recorded()).toBeNull();
  });

  it('answers 404 for an unknown gateway or one that takes no callbacks', async () => {
    expect((await request(app).post(`/dispatch/receipts/nope?token=${SECRET}`).send(receipt())).status).toBe(
      404,
    );
    expect(
      (await request(app).post(`/dispatch/receipts/no-callbacks?token=${SECRET}`).send(receipt())).status,
    ).toBe(404);
  });

  it('refuses a body that is too large or not a receipt', async () => {
    const large = await request(app)
      .post('/dispatch/receipts/sms-api')
      .set('X-Passgate-Token', SECRET)
      .send({ ...receipt(), padding: 'x'.repeat(2048) });
    expect(large.status).toBe(413);
    const other = await request(app)
      .post('/dispatch/receipts/sms-api')
      .set('X-Passgate-Token', SECRET)
      .send({ hello: 1 });
    expect(other.status).toBe(400);
    expect(await recorded()).toBeNull();
  });

  it('acknowledges an intermediate status without recording it', async () => {
    const response = await request(app)
      .post(`/dispatch/receipts/sms-api?token=${SECRET}`)
      .send(receipt('enroute'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ recorded: 0 });
    expect(await recorded()).toBeNull();
  });

  it('records a receipt that presents the right secret', async () => {
    const response = await request(app)
      .post('/dispatch/receipts/sms-api')
      .set('X-Passgate-Token', SECRET)
      .send(receipt());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ recorded: 1 });
    expect(await recorded()).toBe('delivered');
  });
});
