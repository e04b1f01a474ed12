import type { StoredRow, TableStore } from "@themis/core";
import { mapFsErrors, mapFsErrorsOf } from "./fs-errors.js";
import type { CsvTableFile } from "./table-file.js";

/**
 * The storage contract's table, over one {@link CsvTableFile}: the boundary where file-system
 * failures become Themis errors naming the table (see {@link mapFsErrors}).
 */
export class LocalCsvTable implements TableStore {
  readonly #file: CsvTableFile;
  readonly #alive: () => void;
  /** The table in messages, e.g. `dataset "qa" of project "p"`. */
  readonly #label: string;

  constructor(file: CsvTableFile, alive: () => void, label: string) {
    this.#file = file;
    this.#alive = alive;
    this.#label = label;
  }

  async load(): Promise<StoredRow[]> {
    this.#alive();
    return mapFsErrors(`read ${this.#label}`, () => this.#file.load());
  }

  async *entries(): AsyncGenerator<StoredRow> {
    this.#alive();
    yield* mapFsErrorsOf(`read ${this.#label}`, () => this.#file.entries());
  }

  async get(id: string): Promise<StoredRow | undefined> {
    this.#alive();
    return mapFsErrors(`read ${this.#label}`, () => this.#file.get(id));
  }

  async append(rows: readonly StoredRow[]): Promise<void> {
    this.#alive();
    return mapFsErrors(`append to ${this.#label}`, () => this.#file.append(rows));
  }

  async update(row: StoredRow): Promise<void> {
    this.#alive();
    return mapFsErrors(`update a row of ${this.#label}`, () => this.#file.update(row));
  }

  async delete(id: string): Promise<void> {
    this.#alive();
    return mapFsErrors(`delete a row of ${this.#label}`, () => this.#file.delete(id));
  }
}
