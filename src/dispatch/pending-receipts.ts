import type { Clock } from '../clock.js';
import type { Receipt } from './gateway.js';

/**
 * Receipts that arrived before their attempt was recorded (an SMSC may send the receipt in the
 * same packet as the submit response), kept for a minute so the attempt picks them up.
 */
export class PendingReceipts {
  private readonly held = new Map<string, Receipt>();

  constructor(
    private readonly clock: Clock,
    private readonly keepMs = 60_000,
    private readonly limit = 10_000,
  ) {}

  /** Keeps a receipt that matched no recorded attempt. */
  hold(receipt: Receipt): void {
    this.prune();
    if (this.held.size >= this.limit) return;
    this.held.set(`${receipt.gateway}\0${receipt.providerMessageId}`, receipt);
  }

  /** Takes the receipt held for an attempt, if one came early. */
  take(gateway: string, providerMessageId: string): Receipt | undefined {
    const key = `${gateway}\0${providerMessageId}`;
    const receipt = this.held.get(key);
    this.held.delete(key);
    return receipt;
  }

  private prune(): void {
    const oldest = this.clock() - this.keepMs;
    for (const [key, receipt] of this.held) {
      if (receipt.at >= oldest) break;
      this.held.delete(key);
    }
  }
}
