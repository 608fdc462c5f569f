import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../clock.js';
import type { DeliveryAttemptRow, Tables } from '../tables.js';

/** One attempt to deliver a message through one gateway; never the message text. */
export interface DeliveryAttempt {
  messageId: string;
  gateway: string;
  channel: string;
  /** Masked destination (see maskDestination). */
  destination: string;
  outcome: 'sent' | 'failed' | 'timeout';
  error: string | null;
  latencyMs: number;
  providerMessageId: string | null;
}

/** A recorded attempt with what arrived later (its delivery receipt). */
export interface RecordedDeliveryAttempt extends DeliveryAttempt {
  id: string;
  receiptStatus: string | null;
  receiptAt: number | null;
  createdAt: number;
}

/** What one gateway did over a period: the sum of its recorded attempts and their receipts. */
export interface GatewayStatistics {
  gateway: string;
  /** Attempts made through it. */
  attempts: number;
  /** Attempts it accepted. */
  sent: number;
  /** Accepted messages whose receipt said delivered. */
  delivered: number;
  /** Attempts that failed or timed out, and accepted messages whose receipt reported a failure. */
  failed: number;
  /** Mean and longest time until it accepted or refused, in ms (null without attempts). */
  averageLatencyMs: number | null;
  maxLatencyMs: number | null;
}

/** Receipt statuses that mean the message did not arrive. */
export const FAILED_RECEIPTS = ['failed', 'expired', 'rejected', 'undeliverable'] as const;

/** The record of every delivery attempt, and of the receipts that came back for them. */
export class DeliveryAttemptsRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Records one attempt; returns its id. */
  async record(attempt: DeliveryAttempt): Promise<string> {
    const id = randomUUID();
    await this.db
      .insertInto('delivery_attempts')
      .values({
        id,
        message_id: attempt.messageId,
        gateway: attempt.gateway,
        channel: attempt.channel,
        destination: attempt.destination,
        outcome: attempt.outcome,
        error: attempt.error,
        latency_ms: Math.round(attempt.latencyMs),
        provider_message_id: attempt.providerMessageId,
        receipt_status: null,
        receipt_at: null,
        created_at: this.clock(),
      })
      .execute();
    return id;
  }

  /** Stores a delivery receipt on the attempt it belongs to; returns how many attempts matched. */
  async applyReceipt(
    gateway: string,
    providerMessageId: string,
    status: string,
    at: number,
  ): Promise<number> {
    const result = await this.db
      .updateTable('delivery_attempts')
      .set({ receipt_status: status, receipt_at: at })
      .where('gateway', '=', gateway)
      .where('provider_message_id', '=', providerMessageId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Every attempt for one message, oldest first. */
  async forMessage(messageId: string): Promise<RecordedDeliveryAttempt[]> {
    const rows = await this.db
      .selectFrom('delivery_attempts')
      .selectAll()
      .where('message_id', '=', messageId)
      .orderBy('created_at')
      .execute();
    return rows.map(toAttempt);
  }

  /** Most recent attempts first, optionally of one gateway. */
  async recent(options: { gateway?: string; limit?: number } = {}): Promise<RecordedDeliveryAttempt[]> {
    let query = this.db
      .selectFrom('delivery_attempts')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(options.limit ?? 50);
    if (options.gateway) query = query.where('gateway', '=', options.gateway);
    return (await query.execute()).map(toAttempt);
  }

  /**
   * Per gateway, what the attempts recorded since `since` add up to; every server process records
   * its attempts here, so the sums are the whole server's.
   */
  async statistics(since: number): Promise<GatewayStatistics[]> {
    const count = (condition: ReturnType<typeof sql>) =>
      sql<number | string>`sum(case when ${condition} then 1 else 0 end)`;
    const rows = await this.db
      .selectFrom('delivery_attempts')
      .select((eb) => [
        'gateway',
        eb.fn.countAll<number | string>().as('attempts'),
        count(sql`outcome = 'sent'`).as('sent'),
        count(sql`receipt_status = 'delivered'`).as('delivered'),
        count(
          sql`outcome <> 'sent' or receipt_status in (${sql.join(FAILED_RECEIPTS.map((s) => sql.lit(s)))})`,
        ).as('failed'),
        eb.fn.avg<number | string | null>('latency_ms').as('average'),
        eb.fn.max<number | string | null>('latency_ms').as('max'),
      ])
      .where('created_at', '>=', since)
      .groupBy('gateway')
      .orderBy('gateway')
      .execute();
    const number = (value: number | string | null) => (value === null ? null : Number(value));
    return rows.map((row) => ({
      gateway: row.gateway,
      attempts: Number(row.attempts),
      sent: Number(row.sent),
      delivered: Number(row.delivered),
      failed: Number(row.failed),
      averageLatencyMs: row.average === null ? null : Math.round(Number(row.average)),
      maxLatencyMs: number(row.max),
    }));
  }

  /** Deletes attempts recorded before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('delivery_attempts')
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toAttempt(row: DeliveryAttemptRow): RecordedDeliveryAttempt {
  return {
    id: row.id,
    messageId: row.message_id,
    gateway: row.gateway,
    channel: row.channel,
    destination: row.destination,
    outcome: row.outcome as DeliveryAttempt['outcome'],
    error: row.error,
    latencyMs: Number(row.latency_ms),
    providerMessageId: row.provider_message_id,
    receiptStatus: row.receipt_status,
    receiptAt: row.receipt_at === null ? null : Number(row.receipt_at),
    createdAt: Number(row.created_at),
  };
}
