import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port.js';

/** A message the relay received: its envelope recipients and its raw text. */
export interface RelayedMessage {
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback (no TLS, no AUTH) that keeps every message it receives. */
export async function startSmtpRelay() {
  const received: RelayedMessage[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback(null);
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A Passgate SMTP gateway that sends to `port` on loopback without TLS, named `name`. */
export function smtpGateway(port: number, name = 'mail') {
  return {
    type: 'smtp' as const,
    name,
    host: '127.0.0.1',
    port,
    starttls: 'never' as const,
    from: 'Passgate <no-reply@example.test>',
  };
}
