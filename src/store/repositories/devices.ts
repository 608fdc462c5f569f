import { randomBytes } from 'node:crypto';
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { DeviceRow, Tables } from '../tables.js';

/** Where a device stands: held until its owner decides, then approved or rejected. */
export const DEVICE_STATES = ['pending', 'approved', 'rejected'] as const;

/** One of {@link DEVICE_STATES}. */
export type DeviceState = (typeof DEVICE_STATES)[number];

/** An ActiveSync device of one user, as the door, the provisioning site and the admin site see it. */
export interface Device {
  /** The public id: random and unguessable, carried by the provisioning link. */
  id: string;
  /** The owner: the store's user id and their user name. */
  user: { id: string; name: string };
  /** The EAS `DeviceId`. */
  deviceId: string;
  /** The EAS `DeviceType`. */
  deviceType: string;
  /** The model as far as the User-Agent tells it. */
  model: string | null;
  userAgent: string | null;
  state: DeviceState;
  firstSeen: { at: number; address: string | null; country: string | null };
  lastSeen: { at: number; address: string | null };
  /** When and by whom the state was last decided (null while pending). */
  decided: { at: number; by: string } | null;
  /** When the owner was told of the held device. */
  notifiedAt: number | null;
}

/** A request of a device, as the door saw it: who, which device, from where, when. */
export interface DeviceSighting {
  user: { id: string; name: string };
  deviceId: string;
  deviceType: string;
  model: string | null;
  userAgent: string | null;
  address: string | null;
  country: string | null;
  at: number;
}

/** What the administrators' list filters on; every field optional. */
export interface DeviceFilter {
  state?: DeviceState;
  /** The owner's user id. */
  userId?: string;
  /** Words found in the user name, DeviceId, DeviceType or model (any case). */
  text?: string;
}

/** The columns the administrators' list sorts by. */
export const DEVICE_SORT_COLUMNS = [
  'last_seen_at',
  'first_seen_at',
  'user_name',
  'device_type',
  'state',
] as const;

/** How the administrators' list is sorted: a column, then the id in the same direction. */
export interface DeviceSort {
  column: (typeof DEVICE_SORT_COLUMNS)[number];
  direction: 'asc' | 'desc';
}

/** A LIKE pattern that matches `text` literally (with `escape '\'`). */
const literalLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A new public id: 128 random bits, URL-safe. */
const newPublicId = () => randomBytes(16).toString('base64url');

/**
 * The ActiveSync devices of every user (table `devices`). A device is one row per user and
 * DeviceId, created by the first request it makes (`observe`, race-free across workers: the
 * unique index decides); its state changes only through `decide`, `reset` and `remove`, which
 * the engine's DeviceApprovals calls with audit.
 */
export class DevicesRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * The device of a sighting, created in `initial` state when it is new (`created` true only for
   * the one caller whose insert made it). An existing device is returned unchanged: last seen
   * moves through {@link touch}, which callers throttle.
   */
  async observe(
    sighting: DeviceSighting,
    initial: DeviceState = 'pending',
  ): Promise<{ device: Device; created: boolean }> {
    const existing = await this.findOf(sighting.user.id, sighting.deviceId);
    if (existing) return { device: existing, created: false };
    const decided = initial === 'pending' ? null : sighting.at;
    const row: DeviceRow = {
      id: newPublicId(),
      user_id: sighting.user.id,
      user_name: sighting.user.name,
      device_id: sighting.deviceId,
      device_type: sighting.deviceType,
      model: sighting.model,
      user_agent: sighting.userAgent,
      state: initial,
      first_seen_at: sighting.at,
      first_address: sighting.address,
      first_country: sighting.country,
      last_seen_at: sighting.at,
      last_address: sighting.address,
      decided_at: decided,
      decided_by: decided === null ? null : 'allowance',
      notified_at: null,
    };
    const result = await this.db
      .insertInto('devices')
      .values(row)
      .onConflict((c) => c.columns(['user_id', 'device_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return { device: toDevice(row), created: true };
    const winner = await this.findOf(sighting.user.id, sighting.deviceId);
    if (!winner)
      throw new Error(`device ${sighting.deviceId} of ${sighting.user.name} vanished while observed`);
    return { device: winner, created: false };
  }

  /** The device of a user with an EAS DeviceId. */
  async findOf(userId: string, deviceId: string): Promise<Device | undefined> {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return row ? toDevice(row) : undefined;
  }

  /** A device by its public id. */
  async get(id: string): Promise<Device | undefined> {
    const row = await this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDevice(row) : undefined;
  }

  /** A user's devices, most recently seen first (the provisioning site's list). */
  async listOfUser(userId: string): Promise<Device[]> {
    const rows = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('last_seen_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toDevice);
  }

  /** A user's devices in one state (e.g. whether they have an approved one already). */
  async countOfUser(userId: string, state?: DeviceState): Promise<number> {
    let query = this.db
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('user_id', '=', userId);
    if (state) query = query.where('state', '=', state);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** One page of devices matching a filter, in a sort order (the administration site). */
  async search(filter: DeviceFilter, sort: DeviceSort, limit: number, offset: number): Promise<Device[]> {
    const rows = await this.filtered(this.db.selectFrom('devices').selectAll(), filter)
      .orderBy(sort.column, sort.direction)
      .orderBy('id', sort.direction)
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(toDevice);
  }

  /** How many devices match a filter. */
  async count(filter: DeviceFilter): Promise<number> {
    const row = await this.filtered(
      this.db.selectFrom('devices').select((eb) => eb.fn.countAll<string | number>().as('count')),
      filter,
    ).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * Sets the state of a device that is in one of `from` (every state when not given); the
   * device as it is now, or undefined when there is no such device or its state was not one of
   * `from` (someone else decided first).
   */
  async decide(
    id: string,
    state: DeviceState,
    decision: { at: number; by: string },
    from?: readonly DeviceState[],
  ): Promise<Device | undefined> {
    let query = this.db
      .updateTable('devices')
      .set({ state, decided_at: decision.at, decided_by: decision.by })
      .where('id', '=', id);
    if (from) query = query.where('state', 'in', [...from]);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  /**
   * Puts a device back to pending, undecided and not yet notified (an administrator's clear):
   * its next request holds it and tells its owner again. Undefined when there is no such device.
   */
  async reset(id: string): Promise<Device | undefined> {
    const result = await this.db
      .updateTable('devices')
      .set({ state: 'pending', decided_at: null, decided_by: null, notified_at: null })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  /** Deletes a device; false when there was none. Its next request makes it new again. */
  async remove(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Moves last seen forward (never back); callers call it at most about once a minute per device. */
  async touch(id: string, at: number, address: string | null): Promise<void> {
    await this.db
      .updateTable('devices')
      .set({ last_seen_at: at, last_address: address })
      .where('id', '=', id)
      .where('last_seen_at', '<', at)
      .execute();
  }

  /** Claims the notification of a held device: true for exactly one caller until the next reset. */
  async claimNotification(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('devices')
      .set({ notified_at: at })
      .where('id', '=', id)
      .where('notified_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private filtered<O>(
    query: SelectQueryBuilder<Tables, 'devices', O>,
    filter: DeviceFilter,
  ): SelectQueryBuilder<Tables, 'devices', O> {
    let q = query;
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.userId) q = q.where('user_id', '=', filter.userId);
    for (const word of (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean)) {
      const pattern = `%${literalLike(word)}%`;
      q = q.where((eb) =>
        eb.or(
          (['user_name', 'device_id', 'device_type', 'model'] as const).map((column) =>
            eb(sql`lower(${sql.ref(column)})`, 'like', sql<string>`${pattern} escape '\\'`),
          ),
        ),
      );
    }
    return q;
  }
}

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    user: { id: row.user_id, name: row.user_name },
    deviceId: row.device_id,
    deviceType: row.device_type,
    model: row.model,
    userAgent: row.user_agent,
    state: row.state as DeviceState,
    firstSeen: { at: Number(row.first_seen_at), address: row.first_address, country: row.first_country },
    lastSeen: { at: Number(row.last_seen_at), address: row.last_address },
    decided:
      row.decided_at === null || row.decided_by === null
        ? null
        : { at: Number(row.decided_at), by: row.decided_by },
    notifiedAt: row.notified_at === null ? null : Number(row.notified_at),
  };
}
