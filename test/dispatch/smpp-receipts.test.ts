import type { PDU } from 'smpp';
import { describe, expect, it } from 'vitest';
import { receiptOf } from '../../src/dispatch/gateways/smpp-receipt.js';

const pdu = (fields: Record<string, unknown>) => fields as unknown as PDU;

describe('SMPP delivery receipts', () => {
  it('reads the id and status from the TLVs', () => {
    const receipt = receiptOf(
      pdu({ esm_class: 0x04, receipted_message_id: 'abc', message_state: 2, short_message: { message: '' } }),
      'smsc',
      5,
    );
    expect(receipt).toEqual({ gateway: 'smsc', providerMessageId: 'abc', status: 'delivered', at: 5 });
  });

  it('falls back to the id: and stat: of the receipt text', () => {
    const text =
      'id:0A1B sub:001 dlvrd:000 submit date:2601011200 done date:2601011201 stat:UNDELIV err:001 text:';
    expect(receiptOf(pdu({ esm_class: 0x04, short_message: { message: text } }), 'smsc', 1)).toMatchObject({
      providerMessageId: '0A1B',
      status: 'failed',
    });
    expect(
      receiptOf(
        pdu({ esm_class: 0x04, short_message: { message: Buffer.from('id:9 stat:EXPIRED') } }),
        'smsc',
        1,
      ),
    ).toMatchObject({ providerMessageId: '9', status: 'expired' });
  });

  it('ignores mobile-originated messages and receipts without an id', () => {
    expect(
      receiptOf(pdu({ esm_class: 0, short_message: { message: 'id:1 stat:DELIVRD' } }), 'smsc', 1),
    ).toBeUndefined();
    expect(
      receiptOf(pdu({ esm_class: 0x04, short_message: { message: 'stat:DELIVRD' } }), 'smsc', 1),
    ).toBeUndefined();
  });
});
