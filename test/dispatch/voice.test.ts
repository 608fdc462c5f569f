import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { message, openStore, type Store, startDispatcher, startProvider } from './support.js';

describe.each(BACKENDS)('voice calls through an HTTP API (%s)', (backend) => {
  let store: Store;
  let calls: Awaited<ReturnType<typeof startProvider>>;

  beforeAll(async () => {
    store = await openStore(backend);
    calls = await startProvider(() => ({ status: 201, body: '{"sid":"CA42","status":"queued"}' }));
  });
  afterAll(async () => {
    await calls?.close();
    await store?.close();
  });

  it('places a Twilio-style call whose TwiML says the spoken text, in the message language', async () => {
    const { dispatcher } = await startDispatcher({
      store,
      env: { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't' },
      gateways: [
        {
          type: 'voice',
          name: 'twilio-voice',
          url: `${calls.url}/2010-04-01/Accounts/{env.TWILIO_ACCOUNT_SID}/Calls.json`,
          auth: { username: '{env.TWILIO_ACCOUNT_SID}', password: '{env.TWILIO_AUTH_TOKEN}' },
          body: {
            form: {
              To: '{to}',
              From: '+15005550006',
              Twiml: '<Response><Say language="{language|xml}">{spoken|xml}</Say></Response>',
            },
          },
          messageId: { jsonPath: 'sid' },
        },
      ],
    });
    try {
      const result = await dispatcher.send(
        message({
          channel: 'voice',
          language: 'fr',
          text: 'Votre code est 481592.',
          spoken:
            'Votre code est : quatre, huit, un, cinq, neuf, deux. Je répète : quatre, huit, un, cinq, neuf, deux.',
        }),
      );
      expect(result).toMatchObject({ gateway: 'twilio-voice', providerMessageId: 'CA42' });
      const form = new URLSearchParams(calls.requests[0]!.body);
      expect(form.get('Twiml')).toBe(
        '<Response><Say language="fr">Votre code est : quatre, huit, un, cinq, neuf, deux. Je répète : quatre, huit, un, cinq, neuf, deux.</Say></Response>',
      );
      expect(dispatcher.supports('voice')).toBe(true);
      expect(dispatcher.supports('sms')).toBe(false);
    } finally {
      await dispatcher.close();
    }
  });
});
