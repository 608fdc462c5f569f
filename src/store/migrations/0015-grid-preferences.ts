import type { Kysely } from 'kysely';

/**
 * The administration site's grids: the columns each administrator chose for each grid (kept on the
 * server, so the choice follows them to another browser and survives a restart), and an index
 * that lets the audit grid filter by event type without reading the whole log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('grid_preferences')
    .addColumn('admin_id', 'text', (c) => c.notNull())
    .addColumn('grid', 'text', (c) => c.notNull())
    .addColumn('columns', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('grid_preferences_pk', ['admin_id', 'grid'])
    .execute();
  await db.schema.createIndex('audit_events_type_at').on('audit_events').columns(['type', 'at']).execute();
}
