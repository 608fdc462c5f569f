import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { DeliveryAttemptsRepository } from '../store/repositories/delivery-attempts.js';
import { type AttemptOutcome, errorSummary } from './attempt.js';
import type { OutboundMessage, Receipt } from './gateway.js';
import { maskDestination } from './mask.js';
import { PendingReceipts } from './pending-receipts.js';

/**
 * The trace of every delivery: one log line and one delivery_attempts row per attempt (masked
 * destination, outcome, latency, scrubbed error, never the text), and the receipts that come
 * back later. A store that cannot be written to is logged, never turned into a failed send.
 */
export class DeliveryRecord {
  private readonly pending: PendingReceipts;

  constructor(
    private readonly attempts: DeliveryAttemptsRepository,
    private readonly logger: Logger,
    clock: Clock,
  ) {
    this.pending = new PendingReceipts(clock);
  }

  /** Logs and stores one attempt, and applies a receipt that arrived before it was stored. */
  async attempt(gateway: string, message: OutboundMessage, ended: AttemptOutcome): Promise<void> {
    const providerMessageId = ended.outcome === 'sent' ? (ended.result.providerMessageId ?? null) : null;
    const entry = {
      messageId: message.id,
      gateway,
      channel: message.channel,
      destination: maskDestination(message.to),
      outcome: ended.outcome,
      error: ended.outcome === 'sent' ? null : errorSummary(ended.error, message),
      latencyMs: Math.round(ended.latencyMs),
      providerMessageId,
    };
    if (ended.outcome === 'sent') this.logger.info(entry, 'dispatch: message accepted');
    else this.logger.warn(entry, 'dispatch: attempt failed');
    try {
      await this.attempts.record(entry);
      const early = providerMessageId ? this.pending.take(gateway, providerMessageId) : undefined;
      if (early) await this.attempts.applyReceipt(gateway, early.providerMessageId, early.status, early.at);
    } catch (error) {
      this.logger.warn(
        { messageId: message.id, error: describeError(error) },
        'dispatch: attempt not recorded',
      );
    }
  }

  /** Stores a delivery receipt; one that matches no stored attempt yet waits for it a while. */
  async receipt(receipt: Receipt): Promise<void> {
    const { gateway, providerMessageId, status, at } = receipt;
    this.logger.info({ gateway, providerMessageId, status }, 'dispatch: delivery receipt');
    try {
      const apply = () => this.attempts.applyReceipt(gateway, providerMessageId, status, at);
      if ((await apply()) > 0) return;
      // The attempt may have been stored (and have looked for early receipts) while the update
      // ran: held first, then tried once more, the receipt is applied by one side or the other.
      this.pending.hold(receipt);
      if ((await apply()) > 0) this.pending.take(gateway, providerMessageId);
    } catch (error) {
      this.logger.warn(
        { gateway, providerMessageId, error: describeError(error) },
        'dispatch: receipt not recorded',
      );
    }
  }
}
