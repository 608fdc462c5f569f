import type { Server } from 'node:http';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { createReceiptsRouter } from '../../src/dispatch/receipts-router.js';
import { BACKENDS } from '../support/databases.js';
import {
  addressOf,
  captureLogger,
  eventually,
  listen,
  message,
  openStore,
  type Store,
  startDispatcher,
  startProvider,
  stop,
} from './support.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const ENV = {
  TWILIO_ACCOUNT_SID: ACCOUNT,
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-1',
  TWILIO_CALLBACK_TOKEN: 'cb token/+=1',
};

/**
 * A local stand-in for Twilio's Messages API, speaking its wire format: form body, basic auth with
 * the account SID and auth token, 201 with a JSON resource carrying `sid`, then status callbacks
 * (form posts of MessageSid and MessageStatus) to the StatusCallback URL.
 */
async function startFakeTwilio(outcome: { statuses: string[]; reject?: boolean }) {
  const callbacks: Array<{ status: string; answered: number }> = [];
  let count = 0;
  const twilio = await startProvider((request) => {
    const expected = `Basic ${Buffer.from(`${ACCOUNT}:${ENV.TWILIO_AUTH_TOKEN}`).toString('base64')}`;
    if (request.headers.authorization !== expected)
      return { status: 401, body: '{"code":20003,"message":"Authenticate","status":401}' };
    if (request.method !== 'POST' || request.url !== `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`)
      return { status: 404, body: '{"code":20404,"status":404}' };
    const form = new URLSearchParams(request.body);
    if (outcome.reject)
      return {
        status: 400,
        body: JSON.stringify({
          code: 21211,
          message: `The 'To' number ${form.get('To')} is not a valid phone number (${form.get('Body')}).`,
          status: 400,
        }),
      };
    const sid = `SM${(++count).toString(16).padStart(32, '0')}`;
    const callbackUrl = form.get('StatusCallback');
    setTimeout(async () => {
      for (const status of outcome.statuses) {
        const response = await fetch(callbackUrl ?? '', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            AccountSid: ACCOUNT,
            MessageSid: sid,
            SmsSid: sid,
            MessageStatus: status,
            SmsStatus: status,
            To: form.get('To') ?? '',
            From: form.get('From') ?? '',
            ApiVersion: '2010-04-01',
          }),
        });
        callbacks.push({ status, answered: response.status });
      }
    }, 10);
    return {
      status: 201,
      body: JSON.stringify({
        sid,
        account_sid: ACCOUNT,
        status: 'queued',
        to: form.get('To'),
        body: form.get('Body'),
      }),
    };
  });
  return { ...twilio, callbacks };
}

describe.each(BACKENDS)('Twilio-style HTTP gateway end to end (%s)', (backend) => {
  let store: Store;
  let passgate: Server;
  let dispatcher: Dispatcher | undefined;
  let twilio: Awaited<ReturnType<typeof startFakeTwilio>>;

  beforeEach(async () => {
    store = await openStore(backend);
    const app = express();
    // The receipts router is mounted once the dispatcher exists (its config names this port).
    app.use((req, res, next) => (dispatcher ? createReceiptsRouter(dispatcher)(req, res, next) : next()));
    passgate = await listen(app.listen(0, '127.0.0.1'));
  });
  afterEach(async () => {
    await dispatcher?.close();
    dispatcher = undefined;
    await twilio?.close();
    await stop(passgate);
    await store?.close();
  });

  async function start(outcome: { statuses: string[]; reject?: boolean }, logger = captureLogger()) {
    twilio = await startFakeTwilio(outcome);
    const started = await startDispatcher({
      store,
      env: ENV,
      logger: logger.logger,
      gateways: [
        {
          type: 'http',
          name: 'twilio',
          url: `${twilio.url}/2010-04-01/Accounts/{env.TWILIO_ACCOUNT_SID}/Messages.json`,
          auth: { username: '{env.TWILIO_ACCOUNT_SID}', password: '{env.TWILIO_AUTH_TOKEN}' },
          body: {
            form: {
              To: '{to}',
              From: '+15005550006',
              Body: '{text}',
              StatusCallback: `http://${addressOf(passgate)}/dispatch/receipts/twilio?token={env.TWILIO_CALLBACK_TOKEN|url}`,
            },
          },
          messageId: { jsonPath: 'sid' },
          receipts: {
            secret: '{env.TWILIO_CALLBACK_TOKEN}',
            idField: 'MessageSid',
            statusField: 'MessageStatus',
            delivered: ['delivered'],
            failed: ['failed', 'undelivered'],
          },
        },
      ],
    });
    dispatcher = started.dispatcher;
    return started.dispatcher;
  }

  it('sends with basic auth and a form body, keeps the sid, and records the delivered callback', async () => {
    const logs = captureLogger();
    const sender = await start({ statuses: ['sent', 'delivered'] }, logs);
    const sent = message({ to: '+14155550142' });
    const result = await sender.send(sent);
    expect(result.providerMessageId).toMatch(/^SM0{31}1$/);
    const form = new URLSearchParams(twilio.requests[0]!.body);
    expect(Object.fromEntries(form)).toMatchObject({
      To: '+14155550142',
      From: '+15005550006',
      Body: sent.text,
    });
    expect(twilio.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');

    const attempt = await eventually(async () => {
      const [found] = await store.attempts.forMessage(sent.id);
      return found?.receiptStatus === 'delivered' ? found : undefined;
    });
    expect(attempt).toMatchObject({
      gateway: 'twilio',
      outcome: 'sent',
      providerMessageId: result.providerMessageId,
    });
    await eventually(async () => (twilio.callbacks.length === 2 ? true : undefined));
    expect(twilio.callbacks).toEqual([
      { status: 'sent', answered: 200 },
      { status: 'delivered', answered: 200 },
    ]);
    const log = logs.lines.join('\n');
    expect(log).not.toContain('481592');
    expect(log).not.toContain('14155550142');
    expect(log).not.toContain(ENV.TWILIO_AUTH_TOKEN);
  });

  it('records an undelivered callback as failed', async () => {
    const sender = await start({ statuses: ['undelivered'] });
    const sent = message();
    await sender.send(sent);
    const attempt = await eventually(async () => {
      const [found] = await store.attempts.forMessage(sent.id);
      return found?.receiptStatus ? found : undefined;
    });
    expect(attempt.receiptStatus).toBe('failed');
  });

  it('keeps the number and the text out of the recorded error when Twilio refuses and echoes them', async () => {
    const logs = captureLogger();
    const sender = await start({ statuses: [], reject: true }, logs);
    const sent = message({ to: '+15005550001' });
    await expect(sender.send(sent)).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
    const [attempt] = await store.attempts.forMessage(sent.id);
    expect(attempt).toMatchObject({ outcome: 'failed', error: 'GATEWAY_REJECTED: HTTP 400' });
    const log = logs.lines.join('\n');
    expect(log).not.toContain('15005550001');
    expect(log).not.toContain('481592');
  });
});
