import { z } from 'zod';
import { DispatchErrors } from '../errors.js';
import type { GatewayType } from '../gateway.js';
import { compileTemplate, secretReference } from '../template.js';
import { receiptOf } from './smpp-receipt.js';
import { SmppLink } from './smpp-session.js';

/** Settings of the SMPP gateway (`type: smpp`). */
export const smppSettings = z.strictObject({
  type: z
    .literal('smpp')
    .describe('SMS through an SMSC over SMPP 3.4: one persistent transceiver bind, delivery receipts.'),
  name: z.string().min(1).default('smpp').describe('Name used in logs and load-balancing policies.'),
  url: z
    .string()
    .regex(/^s?smpp:\/\/[^/\s]+:\d+\/?$/, 'expected smpp://host:port or ssmpp://host:port (TLS)')
    .describe('Address of the SMSC: `smpp://host:port`, or `ssmpp://host:port` for TLS.'),
  systemId: z.string().min(1).max(15).describe('system_id of the bind.'),
  password: secretReference.describe('Bind password, as `{env.NAME}`.'),
  systemType: z.string().max(12).default('').describe('system_type of the bind, if the SMSC wants one.'),
  sender: z
    .string()
    .min(1)
    .max(20)
    .describe(
      'source_addr: a phone number in international format, or an alphanumeric sender id (11 characters at most).',
    ),
  deliveryReceipts: z
    .boolean()
    .default(true)
    .describe('Ask for delivery receipts (registered_delivery = 1).'),
  window: z.number().int().min(1).max(100).default(10).describe('submit_sm awaiting their response at once.'),
  enquireLinkSeconds: z
    .number()
    .positive()
    .default(30)
    .describe('Keep-alive period; a link that leaves an enquire_link unanswered this long is rebuilt.'),
  bindTimeoutSeconds: z.number().positive().default(10).describe('How long connecting and binding may take.'),
  reconnectSeconds: z
    .number()
    .positive()
    .default(1)
    .describe('First delay before reconnecting a lost link; it doubles up to 60 seconds.'),
});

/** Validated SMPP gateway settings. */
export type SmppSettings = z.output<typeof smppSettings>;

/** GSM 03.38 default alphabet (with its extension table): text that needs no UCS2. */
const GSM = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà\f^{}\\[~\]|€]*$/;

/** The smpp package, loaded only when an SMPP gateway is configured (it is CommonJS). */
async function loadSmpp(): Promise<typeof import('smpp')> {
  const loaded = (await import('smpp')) as typeof import('smpp') & { default?: typeof import('smpp') };
  return loaded.default ?? loaded;
}

/** The data_coding, and whether the text fits in short_message (else message_payload). */
function encodingOf(text: string): { data_coding: number; fits: boolean } {
  return GSM.test(text)
    ? { data_coding: 0x00, fits: text.length <= 160 }
    : { data_coding: 0x08, fits: text.length <= 70 };
}

/**
 * The SMPP plug-in: submit_sm per message (GSM 7-bit when the text allows, UCS2 otherwise), the
 * SMSC's message_id as provider id, and deliver_sm receipts reported through the context.
 */
export const smppGateway = {
  type: 'smpp',
  title: 'SMPP 3.4 (SMSC)',
  channels: ['sms'],
  settings: smppSettings,
  create(settings, context) {
    const password = compileTemplate(settings.password, {
      gateway: settings.name,
      setting: 'password',
      env: context.env,
    });
    const alphanumeric = /[^\d+]/.test(settings.sender);
    const link = new SmppLink(loadSmpp(), {
      gateway: settings.name,
      url: settings.url,
      bind: {
        system_id: settings.systemId,
        password: password({} as never),
        system_type: settings.systemType,
      },
      enquireLinkMs: settings.enquireLinkSeconds * 1000,
      bindTimeoutMs: settings.bindTimeoutSeconds * 1000,
      reconnectMinMs: settings.reconnectSeconds * 1000,
      reconnectMaxMs: 60_000,
      window: settings.window,
      logger: context.logger,
      onDeliver: (pdu) => {
        const receipt = receiptOf(pdu, settings.name, context.clock());
        if (receipt) context.onReceipt(receipt);
      },
    });
    link.start();
    return {
      name: settings.name,
      type: 'smpp',
      channels: ['sms'],
      async send(message, signal) {
        const { data_coding, fits } = encodingOf(message.text);
        const response = await link.submit(
          {
            source_addr_ton: alphanumeric ? 5 : 1,
            source_addr_npi: alphanumeric ? 0 : 1,
            source_addr: settings.sender.replace(/^\+/, ''),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: message.to.replace(/\D/g, ''),
            registered_delivery: settings.deliveryReceipts ? 1 : 0,
            data_coding,
            ...(fits ? { short_message: message.text } : { message_payload: message.text }),
          },
          signal,
        );
        if (response.command_status !== 0)
          throw DispatchErrors.GATEWAY_REJECTED({
            detail: `submit_sm_resp command_status 0x${response.command_status.toString(16).padStart(8, '0')}`,
          });
        const id = typeof response.message_id === 'string' ? response.message_id : '';
        return id ? { providerMessageId: id } : {};
      },
      close: () => link.close(),
    };
  },
} satisfies GatewayType<SmppSettings>;
