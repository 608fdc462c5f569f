import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPasscodeMessage } from '../../src/dispatch/messages.js';
import { spokenDigits, spokenPasscode } from '../../src/dispatch/spoken.js';
import { BACKENDS } from '../support/databases.js';
import { message, openStore, type Store, startDispatcher, startProvider } from './support.js';

describe('spoken passcodes', () => {
  it('reads digits one by one in English and French, and digits themselves elsewhere', () => {
    expect(spokenDigits('481592', 'en')).toBe('four, eight, one, five, nine, two');
    expect(spokenDigits('481 592', 'fr-CA')).toBe('quatre, huit, un, cinq, neuf, deux');
    expect(spokenDigits('4815', 'ja')).toBe('4, 8, 1, 5');
  });

  it('says the code twice', () => {
    expect(spokenPasscode('4815', 'en')).toBe(
      'Your passcode is four, eight, one, five. I repeat: four, eight, one, five.',
    );
    expect(spokenPasscode('90', 'fr')).toBe('Votre code est neuf, zéro. Je répète : neuf, zéro.');
  });

  it('builds the voice message with its spoken text, and e-mail with a subject', () => {
    const voice = buildPasscodeMessage({
      id: 'm1',
      channel: 'voice',
      to: '+33612345642',
      code: '481592',
      language: 'fr',
      validMinutes: 5,
    });
    expect(voice.spoken).toBe(spokenPasscode('481592', 'fr'));
    expect(voice.text).toContain('481592');
    const mail = buildPasscodeMessage({
      id: 'm2',
      channel: 'email',
      to: 'a@example.test',
      code: '481592',
      language: 'en',
      validMinutes: 5,
    });
    expect(mail.subject).toBe('Your passcode');
  });
});

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

  it('places a Twilio-style call whose TwiML reads the digits one by one, in the message language', async () => {
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
        message({ channel: 'voice', language: 'fr', text: 'Votre code est 481592.' }),
      );
      expect(result).toMatchObject({ gateway: 'twilio-voice', providerMessageId: 'CA42' });
      const form = new URLSearchParams(calls.requests[0]!.body);
      expect(form.get('Twiml')).toBe(
        '<Response><Say language="fr">Votre code est quatre, huit, un, cinq, neuf, deux. Je répète : quatre, huit, un, cinq, neuf, deux.</Say></Response>',
      );
      expect(dispatcher.supports('voice')).toBe(true);
      expect(dispatcher.supports('sms')).toBe(false);
    } finally {
      await dispatcher.close();
    }
  });
});
