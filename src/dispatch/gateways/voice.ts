import { z } from 'zod';
import type { GatewayType } from '../gateway.js';
import { createHttpGateway } from './http.js';
import { httpRequestShape } from './http-settings.js';

/** Settings of the voice-call gateway (`type: voice`): an HTTP API that places a call. */
export const voiceSettings = z.strictObject({
  type: z
    .literal('voice')
    .describe(
      'Voice calls through an HTTP API (e.g. Twilio Calls with TwiML `<Say>{spoken|xml}</Say>`): `{spoken}` reads the passcode digit by digit, twice.',
    ),
  name: z
    .string()
    .min(1)
    .default('voice')
    .describe('Name used in logs, load-balancing policies and callback URLs.'),
  ...httpRequestShape,
});

/** Validated voice gateway settings. */
export type VoiceSettings = z.output<typeof voiceSettings>;

/**
 * The voice plug-in: the HTTP gateway's machinery on the voice channel, with `{spoken}` always
 * filled in, from the message or else from the passcode found in its text.
 */
export const voiceGateway = {
  type: 'voice',
  title: 'Voice call (HTTP API)',
  channels: ['voice'],
  settings: voiceSettings,
  create: (settings, context) =>
    createHttpGateway(settings, context, {
      type: 'voice',
      channels: ['voice'],
      // The engine writes what a call says (src/engine/passcode-message.ts); text is the fallback.
      prepare: (message) => (message.spoken ? message : { ...message, spoken: message.text }),
    }),
} satisfies GatewayType<VoiceSettings>;
