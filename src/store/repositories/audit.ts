import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Clock } from '../../clock.js';
import { GroupedInsert } from '../grouped-insert.js';
import type { AuditEventRow, Tables } from '../tables.js';
import { timeOrderedId } from '../time-ordered-id.js';
import type { WriteBatch } from '../write-batch.js';

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

/** What the audit grid filters on; every field optional. */
export interface AuditFilter {
  /** From this time (epoch ms, inclusive). */
  from?: number;
  /** Before this time (epoch ms, exclusive). */
  to?: number;
  /** An event type, or a family of them: `admin` matches `admin` and `admin.*`. */
  type?: string;
  outcome?: AuditEvent['outcome'];
  /** The user the event is about (user name, any case). */
  username?: string;
  /** The administrator who made the change (`details.admin`, user name, any case). */
  admin?: string;
}

/** The columns the audit grid can sort by. */
export const AUDIT_SORT_COLUMNS = ['at', 'type', 'outcome', 'username', 'address'] as const;

/** How the audit grid is sorted: a column, then the event id in the same direction. */
export interface AuditSort {
  column: (typeof AUDIT_SORT_COLUMNS)[number];
  direction: 'asc' | 'desc';
}

/** A LIKE pattern that matches `text` literally (with `escape '\'`). */
const literalLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The append-only audit log. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /**
   * Every sign-in records events, so they are group-committed: the events of the requests in
   * one turn of the event loop go in by one statement, and each `record` resolves once its own
   * event is stored (a decision answered after awaiting it is never lost to a crash).
   */
  private readonly inserts = new GroupedInsert<'audit_events', AuditEventRow>(() => this.db, 'audit_events', [
    'id',
    'at',
    'type',
    'outcome',
    'reason',
    'username',
    'user_id',
    'address',
    'details',
  ]);

  /** Stores one event; resolves once it is stored. */
  async record(event: AuditEvent): Promise<void> {
    await this.inserts.insert(this.rowOf(event));
  }

  /** Adds one event to a batch of writes: stored when the batch is committed, with its other events. */
  recordIn(batch: WriteBatch, event: AuditEvent): void {
    batch.addRow(this.db, this.inserts, this.rowOf(event));
  }

  /** An operation's event: added to its batch when it has one (stored with it), else stored at once. */
  async recordWith(batch: WriteBatch | undefined, event: AuditEvent): Promise<void> {
    if (batch) this.recordIn(batch, event);
    else await this.record(event);
  }

  private rowOf(event: AuditEvent): AuditEventRow {
    const at = this.clock();
    return {
      id: timeOrderedId(at),
      at,
      type: event.type,
      outcome: event.outcome,
      reason: event.reason ?? null,
      username: event.username ?? null,
      user_id: event.userId ?? null,
      address: event.address ?? null,
      details: JSON.stringify(event.details ?? {}),
    };
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
    return rows.map(toEvent);
  }

  /** One page of events matching a filter, in a sort order (the administration site's audit grid). */
  async search(
    filter: AuditFilter,
    sort: AuditSort,
    limit: number,
    offset: number,
  ): Promise<RecordedAuditEvent[]> {
    const rows = await this.filtered(this.db.selectFrom('audit_events').selectAll(), filter)
      .orderBy(sort.column, sort.direction)
      .orderBy('id', sort.direction)
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(toEvent);
  }

  /** How many events match a filter. */
  async count(filter: AuditFilter): Promise<number> {
    const row = await this.filtered(
      this.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string | number>().as('count')),
      filter,
    ).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  private filtered<O>(
    query: SelectQueryBuilder<Tables, 'audit_events', O>,
    filter: AuditFilter,
  ): SelectQueryBuilder<Tables, 'audit_events', O> {
    let q = query;
    if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('at', '<', filter.to);
    if (filter.type) {
      const type = filter.type;
      q = q.where((eb) =>
        eb.or([
          eb('type', '=', type),
          eb('type', 'like', sql<string>`${`${literalLike(type)}.%`} escape '\\'`),
        ]),
      );
    }
    if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
    if (filter.username) q = q.where(sql`lower(username)`, '=', filter.username.toLowerCase());
    if (filter.admin) {
      const pattern = `%${literalLike(`"admin":${JSON.stringify(filter.admin.toLowerCase())}`)}%`;
      q = q.where(sql<boolean>`lower(details) like ${pattern} escape '\\'`);
    }
    return q;
  }
}

function toEvent(row: AuditEventRow): RecordedAuditEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    outcome: row.outcome as AuditEvent['outcome'],
    reason: row.reason,
    username: row.username,
    userId: row.user_id,
    address: row.address,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
