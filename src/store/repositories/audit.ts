import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';
import { timeOrderedId } from '../time-ordered-id.js';

/** One audit event as recorded. Never carries a password, passcode, token or secret. */
export interface AuditEvent {
  type: string;
  outcome: 'success' | 'failure' | 'denied' | 'info';
  reason?: string | null;
  username?: string | null;
  userId?: string | null;
  address?: string | null;
  details?: Record<string, unknown>;
}

/** A recorded audit event with its id and time. */
export type RecordedAuditEvent = AuditEvent & { id: string; at: number; details: Record<string, unknown> };

/** The append-only audit log. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Every sign-in records events: the statement is built once (see preparedQuery). */
  private readonly insert = preparedQuery(
    () => this.db,
    ['id', 'at', 'type', 'outcome', 'reason', 'username', 'user_id', 'address', 'details'],
    (row) => this.db.insertInto('audit_events').values(row),
  );

  async record(event: AuditEvent): Promise<void> {
    const at = this.clock();
    await this.insert({
      id: timeOrderedId(at),
      at,
      type: event.type,
      outcome: event.outcome,
      reason: event.reason ?? null,
      username: event.username ?? null,
      user_id: event.userId ?? null,
      address: event.address ?? null,
      details: JSON.stringify(event.details ?? {}),
    });
  }

  /** Most recent events first, optionally of one type and of one user. */
  async recent(
    options: { type?: string; userId?: string; limit?: number } = {},
  ): Promise<RecordedAuditEvent[]> {
    let query = this.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit ?? 50);
    if (options.type) query = query.where('type', '=', options.type);
    if (options.userId) query = query.where('user_id', '=', options.userId);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      type: row.type,
      outcome: row.outcome as AuditEvent['outcome'],
      reason: row.reason,
      username: row.username,
      userId: row.user_id,
      address: row.address,
      details: JSON.parse(row.details) as Record<string, unknown>,
    }));
  }
}
