import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/dispatch/create-dispatcher.js';
import { loadConfig } from '../../src/server/config.js';
import type { DeliveryAttemptsRepository } from '../../src/store/repositories/delivery-attempts.js';
import { captureLogger } from './support.js';

/** Loads a YAML configuration file written for the test. */
function load(yaml: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-dispatch-config-'));
  const file = path.join(dir, 'passgate.yaml');
  writeFileSync(file, `dataDir: ${dir}\n${yaml}`);
  return loadConfig({ file, env: {} });
}

const UNKNOWN_TYPE = `
dispatch:
  gateways:
    - type: twilio-like
`;

describe('dispatch.gateways in the configuration file', () => {
  it('accepts every gateway type with its defaults', () => {
    const config = load(`
dispatch:
  gateways:
    - type: outbox
    - type: http
      name: twilio
      url: https://api.twilio.com/2010-04-01/Accounts/{env.TWILIO_ACCOUNT_SID}/Messages.json
      auth: { username: '{env.TWILIO_ACCOUNT_SID}', password: '{env.TWILIO_AUTH_TOKEN}' }
      body: { form: { To: '{to}', From: '+15005550006', Body: '{text}' } }
      messageId: { jsonPath: sid }
    - type: voice
      url: https://voice.example/calls
      body: { json: { to: '{to}', say: '{spoken}' } }
    - type: smpp
      url: smpp://smsc.example:2775
      systemId: passgate
      password: '{env.SMPP_PASSWORD}'
      sender: Passgate
    - type: smtp
      host: mail.example
      from: Passgate <no-reply@example.com>
`);
    const [outbox, http, voice, smpp, smtp] = config.dispatch.gateways;
    expect(outbox).toEqual({ type: 'outbox', name: 'outbox' });
    expect(http).toMatchObject({
      name: 'twilio',
      method: 'POST',
      channels: ['sms'],
      headers: {},
      success: { statusMin: 200, statusMax: 299 },
    });
    expect(voice).toMatchObject({
      name: 'voice',
      body: { json: { to: '{to}' }, contentType: 'text/plain; charset=utf-8' },
    });
    expect(smpp).toMatchObject({ name: 'smpp', deliveryReceipts: true, window: 10, enquireLinkSeconds: 30 });
    expect(smtp).toMatchObject({
      name: 'smtp',
      port: 587,
      starttls: 'required',
      tlsRejectUnauthorized: true,
    });
  });

  it('refuses a secret written into the file, naming the key', () => {
    expect(() =>
      load(`
dispatch:
  gateways:
    - type: smtp
      host: mail.example
      from: a@example.com
      auth: { user: passgate, password: hunter2 }
`),
    ).toThrow(
      'dispatch.gateways.0.auth.password: expected {env.NAME}: secrets come from environment variables',
    );
  });

  it('names an unknown type and a body with two formats', () => {
    expect(() => load(UNKNOWN_TYPE)).toThrow(/dispatch\.gateways\.0\.type/);
    expect(() =>
      load(`
dispatch:
  gateways:
    - type: http
      url: https://x.example
      body: { form: { a: b }, raw: c }
`),
    ).toThrow(/dispatch\.gateways\.0\.body: give exactly one of form, json or raw/);
  });

  it('stops the start when a gateway names an unset environment variable', () => {
    const config = load(`
dispatch:
  gateways:
    - type: http
      name: twilio
      url: https://api.example/send
      auth: { username: AC1, password: '{env.TWILIO_AUTH_TOKEN}' }
`);
    const build = () =>
      createDispatcher({
        dispatch: config.dispatch,
        loadPolicies: async () => [],
        attempts: {} as DeliveryAttemptsRepository,
        logger: captureLogger('silent').logger,
        clock: Date.now,
        dataDir: config.dataDir,
        env: {},
      });
    expect(build).toThrow(
      'dispatch.gateways "twilio": auth.password: environment variable TWILIO_AUTH_TOKEN is not set',
    );
  });
});
