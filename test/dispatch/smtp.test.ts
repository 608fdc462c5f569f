import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { addressOf, captureLogger, message, openStore, type Store, startDispatcher } from './support.js';

/** A real SMTP server on loopback that keeps every message it accepts. */
async function startSmtpServer(options: { secure: boolean }) {
  const received: Array<{ from: string; to: string[]; raw: string; user?: string }> = [];
  const server = new SMTPServer({
    secure: false,
    ...(options.secure ? {} : { disabledCommands: ['STARTTLS'], allowInsecureAuth: true }),
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'passgate' && auth.password === 'mail-secret-1')
        return callback(null, { user: auth.username });
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = Number(addressOf(server.server).split(':')[1]);
  return {
    server,
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(BACKENDS)('e-mail through a real SMTP server (%s)', (backend) => {
  let store: Store;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    store = await openStore(backend);
    smtp = await startSmtpServer({ secure: true });
  });
  afterAll(async () => {
    await smtp?.close();
    await store?.close();
  });

  it('delivers the passcode over STARTTLS with authentication, text and HTML', async () => {
    const { logger, lines } = captureLogger();
    const { dispatcher } = await startDispatcher({
      store,
      logger,
      env: { SMTP_PASSWORD: 'mail-secret-1' },
      gateways: [
        {
          type: 'smtp',
          name: 'mail',
          host: '127.0.0.1',
          port: smtp.port,
          starttls: 'required',
          tlsRejectUnauthorized: false,
          auth: { user: 'passgate', password: '{env.SMTP_PASSWORD}' },
          from: 'Passgate <no-reply@example.test>',
        },
      ],
    });
    try {
      const sent = message({ channel: 'email', to: 'alice@example.test', subject: 'Your passcode' });
      const result = await dispatcher.send(sent);
      expect(result.gateway).toBe('mail');
      expect(smtp.received).toHaveLength(1);
      const mail = smtp.received[0]!;
      expect(mail.user).toBe('passgate');
      expect(mail.from).toBe('no-reply@example.test');
      expect(mail.to).toEqual(['alice@example.test']);
      expect(mail.raw).toMatch(/^Subject: Your passcode/m);
      expect(mail.raw).toMatch(/multipart\/alternative/);
      expect(mail.raw).toMatch(/text\/html/);
      expect(/passcode is (\d{6})/.exec(mail.raw)?.[1]).toBe('481592');
      expect(mail.raw).toMatch(/<strong>481592<\/strong>/);

      const [attempt] = await store.attempts.forMessage(sent.id);
      expect(attempt).toMatchObject({ gateway: 'mail', outcome: 'sent', destination: 'a•••@example.test' });
      expect(attempt?.providerMessageId).toMatch(/@/);
      const log = lines.join('\n');
      expect(log).not.toContain('481592');
      expect(log).not.toContain('alice@example.test');
    } finally {
      await dispatcher.close();
    }
  });

  it('fails with a clear error when the server refuses the login', async () => {
    const { dispatcher } = await startDispatcher({
      store,
      env: { SMTP_PASSWORD: 'wrong' },
      gateways: [
        {
          type: 'smtp',
          name: 'mail',
          host: '127.0.0.1',
          port: smtp.port,
          tlsRejectUnauthorized: false,
          auth: { user: 'passgate', password: '{env.SMTP_PASSWORD}' },
          from: 'no-reply@example.test',
        },
      ],
    });
    try {
      const sent = message({ channel: 'email', to: 'bob@example.test' });
      await expect(dispatcher.send(sent)).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
      const [attempt] = await store.attempts.forMessage(sent.id);
      expect(attempt).toMatchObject({ outcome: 'failed' });
      expect(attempt?.error).toMatch(/SMTP EAUTH 535/);
      expect(attempt?.error).not.toContain('bob@example.test');
    } finally {
      await dispatcher.close();
    }
  });
});
