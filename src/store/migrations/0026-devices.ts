import type { Kysely } from 'kysely';

/**
 * ActiveSync devices (issue 20): one row per user and EAS DeviceId, held (`pending`) until its
 * owner approves it on the Device Provisioning site, or approved / rejected. `id` is the
 * unguessable public id the provisioning link carries; `notified_at` is claimed once, so that the
 * owner is told of a held device once, by one server.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('first_address', 'text')
    .addColumn('first_country', 'text')
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_address', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('decided_by', 'text')
    .addColumn('notified_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('devices_user_device')
    .on('devices')
    .columns(['user_id', 'device_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('devices_state_seen')
    .on('devices')
    .columns(['state', 'last_seen_at'])
    .execute();
  await db.schema.createIndex('devices_last_seen').on('devices').column('last_seen_at').execute();
}
