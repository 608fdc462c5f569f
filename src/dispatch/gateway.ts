import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Channel } from '../config/channels.js';
import type { Logger } from '../observability/logger.js';

/** How a passcode reaches a person (the one list is config/channels.ts). */
export type { Channel };

/** One message to deliver. Gateways never log `text`, `spoken` or `to` in full. */
export interface OutboundMessage {
  /** Passgate's id of the message, stable across failover attempts (for receipts and audit). */
  id: string;
  channel: Channel;
  /** E.164 phone number (sms, voice) or e-mail address (email). */
  to: string;
  /** The text: SMS body, e-mail body. */
  text: string;
  /** E-mail subject. */
  subject?: string;
  /** Voice: what to speak, the passcode's digits one by one. */
  spoken?: string;
  /** The passcode inside the text: emphasised in e-mail, and kept out of any error stored or logged. */
  code?: string;
  /** BCP 47 language of the message (for voice synthesis, e-mail headers). */
  language: string;
}

/** What a gateway returns when it accepted a message. */
export interface SendResult {
  /** The provider's id of the message, matched against delivery receipts later. */
  providerMessageId?: string;
}

/** A delivery receipt (SMPP DLR, HTTP status callback). */
export interface Receipt {
  gateway: string;
  providerMessageId: string;
  /** delivered, failed, expired, rejected, unknown ... */
  status: string;
  at: number;
}

/** What every gateway gets from the composition root. */
export interface GatewayContext {
  dataDir: string;
  logger: Logger;
  clock: Clock;
  /** Environment variables that `{env.NAME}` placeholders of the settings are resolved from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Reports a delivery receipt that arrived asynchronously. */
  onReceipt(receipt: Receipt): void;
}

/**
 * A running gateway. `send` resolves when the provider accepted the message and throws when it
 * did not; it must stop at once when `signal` aborts (the load balancer's per-attempt timeout).
 */
export interface Gateway {
  readonly name: string;
  readonly type: string;
  readonly channels: readonly Channel[];
  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult>;
  /**
   * Optional: the shared secret an HTTP status callback must present (header or `?token=`);
   * a gateway without one takes no callbacks.
   */
  readonly callbackSecret?: string;
  /**
   * Optional: turns an HTTP status callback (POST /dispatch/receipts/:gateway) into receipts;
   * returns undefined when the request is not one of this gateway's.
   */
  parseCallback?(request: {
    headers: Record<string, string | string[] | undefined>;
    body: unknown;
  }): Receipt[] | undefined;
  close?(): Promise<void>;
}

/**
 * A gateway plug-in: it describes itself (for the admin site and the configuration reference)
 * and builds gateways from validated settings. Adding one is one file plus one registry line.
 */
export interface GatewayType<Settings extends { type: string; name: string }> {
  readonly type: Settings['type'];
  readonly title: string;
  readonly channels: readonly Channel[];
  /** zod schema of this type's entry in `dispatch.gateways` (with `type` as a literal). */
  readonly settings: z.ZodType<Settings>;
  create(settings: Settings, context: GatewayContext): Gateway;
}
