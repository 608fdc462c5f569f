import type { Kysely } from 'kysely';

/**
 * Second factors: tokens (OATH, passcode channels, backup codes), sent passcodes, login
 * challenges, administrator policies (token, passcode, load-balancing ...) and the record of
 * every delivery attempt.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.unique())
    .addColumn('description', 'text')
    .addColumn('hardware', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('algorithm', 'text')
    .addColumn('digits', 'integer')
    .addColumn('period', 'integer')
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('drift', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_step', 'bigint')
    .addColumn('secret', 'text')
    .addColumn('destination', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failure_at', 'bigint')
    .addColumn('locked_until', 'bigint')
    .addColumn('token_policy', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('tokens_user_id').on('tokens').column('user_id').execute();

  await db.schema
    .createTable('backup_codes')
    .addColumn('token_id', 'text', (c) => c.notNull().references('tokens.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('backup_codes_pk', ['token_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('methods', 'text', (c) => c.notNull())
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('overrides', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('language', 'text')
    .addColumn('send_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('challenges_expires_at').on('challenges').column('expires_at').execute();

  await db.schema
    .createTable('passcodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('challenge_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('passcodes_user_id')
    .on('passcodes')
    .columns(['user_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('policies')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('policies_pk', ['kind', 'name'])
    .execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('gateway', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('provider_message_id', 'text')
    .addColumn('receipt_status', 'text')
    .addColumn('receipt_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('delivery_attempts_provider_id')
    .on('delivery_attempts')
    .columns(['gateway', 'provider_message_id'])
    .execute();
  await db.schema
    .createIndex('delivery_attempts_message_id')
    .on('delivery_attempts')
    .column('message_id')
    .execute();
}
