import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { captureLogger, message, openStore, type Store, startDispatcher, startProvider } from './support.js';

const API_KEY = 'api-key-that-must-not-leak';

describe.each(BACKENDS)('what dispatch writes to the log (%s)', (backend) => {
  let store: Store;
  let echo: Awaited<ReturnType<typeof startProvider>>;
  let closedPort: string;

  beforeAll(async () => {
    store = await openStore(backend);
    // A provider that refuses and repeats everything it got, as some do in their error text.
    echo = await startProvider((request) => ({
      status: 422,
      body: `rejected: ${request.url} ${request.body}`,
    }));
    const gone = await startProvider(() => ({ status: 200 }));
    closedPort = new URL(gone.url).port;
    await gone.close();
  });
  afterAll(async () => {
    await echo?.close();
    await store?.close();
  });

  it('never holds the message text, the passcode, the full destination or a secret', async () => {
    const { logger, lines } = captureLogger('trace');
    const { dispatcher, dataDir } = await startDispatcher({
      store,
      logger,
      env: { API_KEY },
      gateways: [
        {
          type: 'http',
          name: 'echo',
          url: `${echo.url}/send?key={env.API_KEY}&to={to}&text={text}`,
          body: { form: { to: '{to}', text: '{text}' } },
        },
        // Nothing listens there: the connection error must not carry the URL's key or number.
        {
          type: 'http',
          name: 'unreachable',
          url: `http://127.0.0.1:${closedPort}/send?key={env.API_KEY}&to={to}`,
        },
        { type: 'outbox' },
      ],
    });
    try {
      const sms = message({ to: '+33612345642' });
      const result = await dispatcher.send(sms);
      expect(result).toMatchObject({ gateway: 'outbox', attempts: 3 });
      const mail = message({ channel: 'email', to: 'alice.martin@example.com', subject: 'Your passcode' });
      await dispatcher.send(mail);

      const log = lines.join('\n');
      expect(lines.length).toBeGreaterThanOrEqual(4);
      for (const forbidden of [
        sms.text,
        '481592',
        '+33612345642',
        '33612345642',
        'alice.martin@example.com',
        API_KEY,
      ])
        expect(log).not.toContain(forbidden);
      expect(log).toContain('+33 6 •• •• •• 42');
      expect(log).toContain('a•••@example.com');
      expect(log).toContain(sms.id);

      const stored = await store.attempts.forMessage(sms.id);
      expect(stored.map((a) => a.error)).toEqual([
        'GATEWAY_REJECTED: HTTP 422',
        `GATEWAY_UNAVAILABLE: 127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
        null,
      ]);

      // The outbox file is where a developer reads the passcode: the whole message is there.
      const files = readdirSync(path.join(dataDir, 'outbox'));
      expect(files).toHaveLength(2);
      const written = files.map((f) => JSON.parse(readFileSync(path.join(dataDir, 'outbox', f), 'utf8')));
      expect(written).toContainEqual(sms);
    } finally {
      await dispatcher.close();
    }
  });
});
