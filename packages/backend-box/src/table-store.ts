import type { StoredRow, TableStore } from "@themis/core";
import type { TableFile } from "./table-file.js";

/** One table of a project: a handle on its {@link TableFile}. */
export class BoxTable implements TableStore {
  readonly #storage: { alive(): void };
  readonly #file: TableFile;

  /** `storage.alive()` throws once the backend is closed. */
  constructor(storage: { alive(): void }, file: TableFile) {
    this.#storage = storage;
    this.#file = file;
  }

  async load(): Promise<StoredRow[]> {
    this.#storage.alive();
    return this.#file.rows();
  }

  async *entries(): AsyncIterable<StoredRow> {
    this.#storage.alive();
    // The file comes down whole (Box has no partial reads of a changing file); its rows are
    // parsed one by one as the caller asks for them.
    yield* this.#file.streamRows();
  }

  async get(id: string): Promise<StoredRow | undefined> {
    this.#storage.alive();
    return this.#file.row(id);
  }

  async append(rows: readonly StoredRow[]): Promise<void> {
    this.#storage.alive();
    await this.#file.change({ kind: "append", rows });
  }

  async update(row: StoredRow): Promise<void> {
    this.#storage.alive();
    await this.#file.change({ kind: "update", row });
  }

  async delete(id: string): Promise<void> {
    this.#storage.alive();
    await this.#file.change({ kind: "delete", id });
  }
}
