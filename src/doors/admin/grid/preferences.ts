import type { GridPreferencesRepository } from '../../../store/repositories/grid-preferences.js';
import { type ColumnChoice, type GridDefinition, type PlacedColumn, placeColumns } from './grid.js';

/** Each administrator's columns per grid, over the store. */
export class GridPreferences {
  constructor(private readonly repository: GridPreferencesRepository) {}

  /** The columns of a grid as this administrator placed them (the defaults when they never chose). */
  async columns<Row>(adminId: string, grid: GridDefinition<Row>): Promise<PlacedColumn<Row>[]> {
    return placeColumns(grid, (await this.repository.find(adminId, grid.id)) as ColumnChoice[] | undefined);
  }

  /** Stores a choice; what was stored before, for the audit log. */
  async save<Row>(
    adminId: string,
    grid: GridDefinition<Row>,
    columns: ColumnChoice[],
  ): Promise<ColumnChoice[] | null> {
    const before = ((await this.repository.find(adminId, grid.id)) as ColumnChoice[] | undefined) ?? null;
    await this.repository.save(adminId, grid.id, columns);
    return before;
  }

  /** Back to the grid's defaults; what was stored before, or null when nothing was. */
  async reset<Row>(adminId: string, grid: GridDefinition<Row>): Promise<ColumnChoice[] | null> {
    const before = ((await this.repository.find(adminId, grid.id)) as ColumnChoice[] | undefined) ?? null;
    if (before) await this.repository.reset(adminId, grid.id);
    return before;
  }
}
