import type { Kysely } from 'kysely';

/**
 * Password-expiry reminders sent: one row per directory account, expiry and threshold, written
 * before the message goes out, so that a restart or a second worker never sends one twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('password_reminders')
    .addColumn('directory', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('threshold_days', 'integer', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('password_reminders_pk', [
      'directory',
      'external_id',
      'expires_at',
      'threshold_days',
    ])
    .execute();
  await db.schema
    .createIndex('password_reminders_sent_at')
    .on('password_reminders')
    .column('sent_at')
    .execute();
}
