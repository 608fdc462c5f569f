import { z } from 'zod';
import { DispatchErrors } from '../errors.js';
import type { GatewayType, OutboundMessage } from '../gateway.js';
import { compileTemplate, secretReference } from '../template.js';

/** Settings of the e-mail gateway (`type: smtp`). */
export const smtpSettings = z.strictObject({
  type: z
    .literal('smtp')
    .describe('E-mail through an SMTP server (nodemailer), text with an HTML alternative.'),
  name: z.string().min(1).default('smtp').describe('Name used in logs and load-balancing policies.'),
  host: z.string().min(1).describe('SMTP server host name.'),
  port: z.number().int().min(1).max(65535).default(587).describe('SMTP server port.'),
  secure: z
    .boolean()
    .default(false)
    .describe('TLS from the first byte (port 465); otherwise see `starttls`.'),
  starttls: z
    .enum(['required', 'opportunistic', 'never'])
    .default('required')
    .describe(
      'Upgrade a plain connection with STARTTLS: always, when offered, or never (trusted relays only).',
    ),
  tlsRejectUnauthorized: z
    .boolean()
    .default(true)
    .describe('Refuse servers whose certificate does not verify; turn off only for a private relay.'),
  auth: z
    .strictObject({
      user: z.string().min(1).describe('User name.'),
      password: secretReference.describe('Password, as `{env.NAME}`.'),
    })
    .optional()
    .describe('SMTP authentication; none for a relay that trusts the address.'),
  from: z.string().min(3).describe('Sender, e.g. `Passgate <no-reply@example.com>`.'),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(3)
    .describe('Pooled connections kept open to the server.'),
  connectionTimeoutSeconds: z.number().positive().default(10).describe('How long connecting may take.'),
});

/** Validated SMTP gateway settings. */
export type SmtpSettings = z.output<typeof smtpSettings>;

/** The HTML alternative: the text escaped, paragraphs kept, the passcode in bold. */
function htmlOf(message: OutboundMessage): string {
  const code = message.code;
  const escaped = message.text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = (code ? escaped.replace(code, `<strong>${code}</strong>`) : escaped).replace(/\n/g, '<br>');
  const lang = message.language.replace(/[^\w-]/g, '');
  return `<!doctype html><html lang="${lang}"><body><p style="font-family:sans-serif;font-size:16px">${body}</p></body></html>`;
}

/**
 * The e-mail plug-in: nodemailer with a connection pool, loaded only when an SMTP gateway is
 * configured. Errors carry nodemailer's code and the SMTP reply code, not the server's text,
 * which often repeats the recipient's address.
 */
export const smtpGateway = {
  type: 'smtp',
  title: 'E-mail (SMTP)',
  channels: ['email'],
  settings: smtpSettings,
  create(settings, context) {
    const password =
      settings.auth &&
      compileTemplate(settings.auth.password, {
        gateway: settings.name,
        setting: 'auth.password',
        env: context.env,
      });
    const transport = import('nodemailer').then(({ createTransport }) =>
      createTransport({
        pool: true,
        host: settings.host,
        port: settings.port,
        secure: settings.secure,
        requireTLS: settings.starttls === 'required',
        ignoreTLS: settings.starttls === 'never',
        tls: { rejectUnauthorized: settings.tlsRejectUnauthorized },
        maxConnections: settings.maxConnections,
        connectionTimeout: settings.connectionTimeoutSeconds * 1000,
        ...(settings.auth && password
          ? { auth: { user: settings.auth.user, pass: password({} as never) } }
          : {}),
      }),
    );
    transport.catch(() => {});
    return {
      name: settings.name,
      type: 'smtp',
      channels: ['email'],
      async send(message, signal) {
        const mailer = await transport;
        const sending = mailer.sendMail({
          from: settings.from,
          to: message.to,
          subject: message.subject ?? 'Passcode',
          text: message.text,
          html: htmlOf(message),
          headers: { 'Content-Language': message.language },
        });
        const aborted = new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
        try {
          const info = await Promise.race([sending, aborted]);
          return info.messageId ? { providerMessageId: info.messageId } : {};
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          const { code, responseCode } = error as { code?: string; responseCode?: number };
          throw DispatchErrors.GATEWAY_REJECTED({
            detail: `SMTP ${[code, responseCode].filter(Boolean).join(' ') || 'error'}`,
            cause: error,
          });
        } finally {
          sending.catch(() => {});
        }
      },
      close: async () => (await transport).close(),
    };
  },
} satisfies GatewayType<SmtpSettings>;
