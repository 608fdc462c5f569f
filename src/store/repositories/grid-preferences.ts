import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Tables } from '../tables.js';

/** One column as an administrator placed it: shown or not, and its width class. */
export interface StoredColumn {
  id: string;
  visible: boolean;
  size: string;
}

/**
 * The columns each administrator chose per grid, kept in the store so that the choice is the
 * same in every browser, on every server process and after a restart.
 */
export class GridPreferencesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** The stored choice, in its order, or undefined when the administrator kept the defaults. */
  async find(adminId: string, grid: string): Promise<StoredColumn[] | undefined> {
    const row = await this.db
      .selectFrom('grid_preferences')
      .select('columns')
      .where('admin_id', '=', adminId)
      .where('grid', '=', grid)
      .executeTakeFirst();
    return row ? (JSON.parse(row.columns) as StoredColumn[]) : undefined;
  }

  /** Stores (or replaces) the choice of one administrator for one grid. */
  async save(adminId: string, grid: string, columns: StoredColumn[]): Promise<void> {
    const values = { admin_id: adminId, grid, columns: JSON.stringify(columns), updated_at: this.clock() };
    await this.db
      .insertInto('grid_preferences')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['admin_id', 'grid'])
          .doUpdateSet({ columns: values.columns, updated_at: values.updated_at }),
      )
      .execute();
  }

  /** Forgets the choice (back to the grid's defaults); true when there was one. */
  async reset(adminId: string, grid: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('grid_preferences')
      .where('admin_id', '=', adminId)
      .where('grid', '=', grid)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
