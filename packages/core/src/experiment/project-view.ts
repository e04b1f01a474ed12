import type { Row } from "../rows.js";
import type { StorageBackend, TableKind } from "../storage/contract.js";
import type { Dataset, Experiment, Table, TableOptions } from "../storage/table.js";

/**
 * What the experiment code uses of a project. `Project` implements it; the files of this
 * folder import this interface, not project.ts (which imports them), so there is no import
 * circle between the two.
 */
export interface ProjectView {
  readonly storage: StorageBackend;
  getDataset<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Dataset<T>>;
  createExperiment<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Experiment<T>>;
  getExperiment<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Experiment<T>>;
  /** A reserved `__` table (see `Project.internalTable`). */
  internalTable(kind: TableKind, name: string): Promise<Table>;
}
