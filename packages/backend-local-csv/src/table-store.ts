import type { StoredRow, TableStore } from "@themis/core";
import type { CsvTableFile } from "./table-file.js";

/** The storage contract's table, over one {@link CsvTableFile}. */
export class LocalCsvTable implements TableStore {
  readonly #file: CsvTableFile;
  readonly #alive: () => void;

  constructor(file: CsvTableFile, alive: () => void) {
    this.#file = file;
    this.#alive = alive;
  }

  async load(): Promise<StoredRow[]> {
    this.#alive();
    return this.#file.load();
  }

  async *entries(): AsyncGenerator<StoredRow> {
    this.#alive();
    yield* this.#file.entries();
  }

  async get(id: string): Promise<StoredRow | undefined> {
    this.#alive();
    return this.#file.get(id);
  }

  async append(rows: readonly StoredRow[]): Promise<void> {
    this.#alive();
    return this.#file.append(rows);
  }

  async update(row: StoredRow): Promise<void> {
    this.#alive();
    return this.#file.update(row);
  }

  async delete(id: string): Promise<void> {
    this.#alive();
    return this.#file.delete(id);
  }
}
