import { describe, expect, it } from 'vitest';
import { DeliveryRecord } from '../../src/dispatch/delivery-record.js';
import type { DeliveryAttemptsRepository } from '../../src/store/repositories/delivery-attempts.js';
import { captureLogger, message } from './support.js';

/**
 * An attempts table in memory whose receipt update can be held back, to replay the order in
 * which a pooled database may run them: the receipt's update starts before the attempt's insert
 * and ends after it.
 */
function racingStore() {
  const rows = new Map<string, string | null>();
  let releaseFirstUpdate: (() => void) | undefined;
  let updates = 0;
  const repository = {
    record: async (attempt: { gateway: string; providerMessageId: string | null }) => {
      rows.set(`${attempt.gateway}/${attempt.providerMessageId}`, null);
      return 'id';
    },
    applyReceipt: async (gateway: string, id: string, status: string) => {
      const key = `${gateway}/${id}`;
      const found = rows.has(key);
      if (++updates === 1) await new Promise<void>((resolve) => (releaseFirstUpdate = resolve));
      if (found) rows.set(key, status);
      return found ? 1 : 0;
    },
  };
  return {
    repository: repository as unknown as DeliveryAttemptsRepository,
    rows,
    release: () => releaseFirstUpdate?.(),
  };
}

describe('a receipt racing its attempt', () => {
  it('is applied when its update misses the attempt that is stored meanwhile', async () => {
    const store = racingStore();
    const record = new DeliveryRecord(store.repository, captureLogger('silent').logger, Date.now);
    const receipt = record.receipt({ gateway: 'smsc', providerMessageId: 'm1', status: 'delivered', at: 1 });
    await record.attempt('smsc', message(), {
      outcome: 'sent',
      result: { providerMessageId: 'm1' },
      latencyMs: 3,
    });
    store.release();
    await receipt;
    expect(store.rows.get('smsc/m1')).toBe('delivered');
  });

  it('is applied when it arrives before the attempt is stored at all', async () => {
    const store = racingStore();
    const record = new DeliveryRecord(store.repository, captureLogger('silent').logger, Date.now);
    const receipt = record.receipt({ gateway: 'smsc', providerMessageId: 'm2', status: 'failed', at: 1 });
    store.release();
    await receipt;
    await record.attempt('smsc', message(), {
      outcome: 'sent',
      result: { providerMessageId: 'm2' },
      latencyMs: 3,
    });
    expect(store.rows.get('smsc/m2')).toBe('failed');
  });
});
