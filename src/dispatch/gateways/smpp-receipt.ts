import type { PDU } from 'smpp';
import type { Receipt } from '../gateway.js';

/** SMPP 3.4 message_state values (TLV 0x0427) as receipt statuses. */
const BY_STATE: Record<number, string> = {
  1: 'enroute',
  2: 'delivered',
  3: 'expired',
  4: 'deleted',
  5: 'failed',
  6: 'accepted',
  7: 'unknown',
  8: 'rejected',
};

/** The `stat:` words of the receipt text (SMPP 3.4 appendix B) as receipt statuses. */
const BY_STAT: Record<string, string> = {
  ENROUTE: 'enroute',
  DELIVRD: 'delivered',
  EXPIRED: 'expired',
  DELETED: 'deleted',
  UNDELIV: 'failed',
  ACCEPTD: 'accepted',
  UNKNOWN: 'unknown',
  REJECTD: 'rejected',
};

/** esm_class bits 2–5 give the message type; 0b0001 (0x04) is an MC delivery receipt. */
const MESSAGE_TYPE_MASK = 0x3c;
const MC_DELIVERY_RECEIPT = 0x04;

/**
 * A delivery receipt from a deliver_sm, or undefined when the PDU is a mobile-originated message
 * or has no message id. The id comes from the receipted_message_id TLV or the `id:` of the text,
 * the status from the message_state TLV or the text's `stat:`.
 */
export function receiptOf(pdu: PDU, gateway: string, at: number): Receipt | undefined {
  if ((Number(pdu.esm_class ?? 0) & MESSAGE_TYPE_MASK) !== MC_DELIVERY_RECEIPT) return undefined;
  const text = textOf(pdu.short_message) || textOf(pdu.message_payload);
  const tlvId = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id : '';
  const providerMessageId = tlvId || /\bid:(\S+)/i.exec(text)?.[1];
  if (!providerMessageId) return undefined;
  const stat = /\bstat:(\w+)/i.exec(text)?.[1]?.toUpperCase();
  const state = typeof pdu.message_state === 'number' ? BY_STATE[pdu.message_state] : undefined;
  const status = state ?? (stat ? BY_STAT[stat] : undefined) ?? 'unknown';
  return { gateway, providerMessageId, status, at };
}

function textOf(value: unknown): string {
  const message = (value as { message?: unknown } | undefined)?.message ?? value;
  if (typeof message === 'string') return message;
  return Buffer.isBuffer(message) ? message.toString('latin1') : '';
}
