import { z } from 'zod';
import type { Gateway, GatewayContext } from './gateway.js';
import { httpGateway } from './gateways/http.js';
import { outboxGateway } from './gateways/outbox.js';
import { smppGateway } from './gateways/smpp.js';
import { smtpGateway } from './gateways/smtp.js';
import { voiceGateway } from './gateways/voice.js';

/**
 * Every gateway plug-in, in the order the configuration reference lists them. Adding one is one
 * file in gateways/ and one line here; the configuration schema and its reference follow.
 */
export const GATEWAY_TYPES = [outboxGateway, httpGateway, voiceGateway, smppGateway, smtpGateway] as const;

type SettingsOf<T extends readonly { settings: unknown }[]> = { [K in keyof T]: T[K]['settings'] };

/** One entry of `dispatch.gateways`: the settings schema of whichever plug-in its `type` names. */
export const gatewaySettings = z.discriminatedUnion(
  'type',
  GATEWAY_TYPES.map((type) => type.settings) as unknown as SettingsOf<typeof GATEWAY_TYPES>,
);

/** Validated settings of one gateway, of any type. */
export type GatewaySettings = z.output<typeof gatewaySettings>;

/** Builds a running gateway from its validated settings with the plug-in its `type` names. */
export function createGateway(settings: GatewaySettings, context: GatewayContext): Gateway {
  const plugin = GATEWAY_TYPES.find((type) => type.type === settings.type);
  if (!plugin) throw new Error(`no gateway plug-in of type ${settings.type}`);
  return (plugin.create as (settings: GatewaySettings, context: GatewayContext) => Gateway)(
    settings,
    context,
  );
}
