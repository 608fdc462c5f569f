import { z } from 'zod';
import { CHANNEL_NAMES, channelSchema } from '../../config/channels.js';
import { describeError } from '../../errors.js';
import { DispatchErrors } from '../errors.js';
import type { Channel, Gateway, GatewayContext, GatewayType, OutboundMessage } from '../gateway.js';
import { compileTemplate } from '../template.js';
import { compileCallbackParser } from './http-callback.js';
import { compileHttpRequest } from './http-request.js';
import { compileHttpResponse } from './http-response.js';
import { type HttpRequestSettings, httpRequestShape } from './http-settings.js';

/** Settings of the generic HTTP gateway (`type: http`). */
export const httpSettings = z.strictObject({
  type: z
    .literal('http')
    .describe('Any provider with an HTTP API (Twilio, most SMS APIs): a templated request per message.'),
  name: z
    .string()
    .min(1)
    .default('http')
    .describe('Name used in logs, load-balancing policies and callback URLs.'),
  channels: z.array(channelSchema).min(1).default(['sms']).describe('Channels this gateway carries.'),
  ...httpRequestShape,
});

/** Validated HTTP gateway settings. */
export type HttpSettings = z.output<typeof httpSettings>;

/** Provider answers are short; a longer one is refused rather than buffered. */
const MAX_RESPONSE_BYTES = 65_536;

/** The response body as text, refused when it grows past `limit` bytes. */
async function readLimited(response: Response, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > limit) {
      await response.body?.cancel().catch(() => {});
      throw DispatchErrors.GATEWAY_REJECTED({
        detail: `HTTP ${response.status}: response larger than ${limit} bytes`,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What an HTTP-based plug-in adds to the shared machinery. */
export interface HttpGatewayOptions {
  type: string;
  channels: readonly Channel[];
  /** Completes a message before the templates see it (the voice gateway adds `spoken`). */
  prepare?: (message: OutboundMessage) => OutboundMessage;
}

/**
 * The machinery of every HTTP-based gateway: compiled templates, one fetch per message that
 * stops when the attempt is aborted, and the provider's answer checked as configured.
 */
export function createHttpGateway(
  settings: HttpRequestSettings & { name: string },
  context: GatewayContext,
  options: HttpGatewayOptions,
): Gateway {
  const origin = { gateway: settings.name, env: context.env };
  const build = compileHttpRequest(settings, origin);
  const read = compileHttpResponse(settings);
  const prepare = options.prepare ?? ((message: OutboundMessage) => message);
  return {
    name: settings.name,
    type: options.type,
    channels: options.channels,
    ...(settings.receipts
      ? {
          callbackSecret: compileTemplate(settings.receipts.secret, {
            ...origin,
            setting: 'receipts.secret',
          })({} as OutboundMessage),
          parseCallback: compileCallbackParser(settings.receipts, settings.name, context.clock),
        }
      : {}),
    async send(message, signal) {
      const request = build(prepare(message));
      let response: Response;
      try {
        response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body ?? null,
          redirect: 'error',
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // Only the host: paths and queries may carry account ids or API keys.
        throw DispatchErrors.GATEWAY_UNAVAILABLE({
          detail: `${new URL(request.url).host}: ${describeError((error as Error).cause ?? error)}`,
          cause: error,
        });
      }
      return read(response.status, await readLimited(response, MAX_RESPONSE_BYTES));
    },
  };
}

/** The generic HTTP gateway plug-in. */
export const httpGateway = {
  type: 'http',
  title: 'HTTP API (SMS providers, Twilio ...)',
  channels: CHANNEL_NAMES,
  settings: httpSettings,
  create: (settings, context) =>
    createHttpGateway(settings, context, { type: 'http', channels: settings.channels }),
} satisfies GatewayType<HttpSettings>;
