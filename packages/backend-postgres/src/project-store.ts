import { AlreadyExistsError, NotFoundError, type ProjectStore, type TableKind, type TableStore } from "@themis/core";
import type { PostgresContext } from "./context.js";
import { BACKEND_NAME } from "./errors.js";
import { PostgresTable } from "./table-store.js";

/** One project's tables, addressed by the project's name on every call. */
export class PostgresProject implements ProjectStore {
  readonly #ctx: PostgresContext;
  readonly #project: string;

  constructor(ctx: PostgresContext, project: string) {
    this.#ctx = ctx;
    this.#project = project;
  }

  #table(kind: TableKind, name: string): string {
    return `${kind} "${name}" of project "${this.#project}"`;
  }

  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    // The foreign key to the project turns a create through a handle to a deleted project into NOT_FOUND.
    try {
      await this.#ctx.query(`create ${this.#table(kind, name)}`, `INSERT INTO ${this.#ctx.names.tables} (project, kind, name) VALUES ($1, $2, $3)`, [
        this.#project,
        kind,
        name,
      ]);
    } catch (error) {
      if (error instanceof AlreadyExistsError)
        throw new AlreadyExistsError(`${this.#table(kind, name)} already exists`, { backend: BACKEND_NAME, cause: error.cause });
      throw error;
    }
    return new PostgresTable(this.#ctx, this.#project, kind, name);
  }

  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    const found = await this.#ctx.read(
      `open ${this.#table(kind, name)}`,
      `SELECT 1 FROM ${this.#ctx.names.tables} WHERE project = $1 AND kind = $2 AND name = $3`,
      [this.#project, kind, name],
    );
    if (found.rowCount === 0) throw new NotFoundError(`${this.#table(kind, name)} does not exist`, { backend: BACKEND_NAME });
    return new PostgresTable(this.#ctx, this.#project, kind, name);
  }

  async listTables(kind: TableKind): Promise<string[]> {
    const n = this.#ctx.names;
    // Joined from the project: no result means the project is gone; a NULL name, no tables.
    const found = await this.#ctx.read<{ name: string | null }>(
      `list the ${kind}s of project "${this.#project}"`,
      `SELECT t.name FROM ${n.projects} p LEFT JOIN ${n.tables} t ON t.project = p.name AND t.kind = $2 WHERE p.name = $1`,
      [this.#project, kind],
    );
    if (found.rowCount === 0) throw new NotFoundError(`project "${this.#project}" does not exist (deleted?)`, { backend: BACKEND_NAME });
    return found.rows.flatMap((r) => (r.name === null ? [] : [r.name])).sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    const deleted = await this.#ctx.query(
      `delete ${this.#table(kind, name)}`,
      `DELETE FROM ${this.#ctx.names.tables} WHERE project = $1 AND kind = $2 AND name = $3`,
      [this.#project, kind, name],
    );
    if (deleted.rowCount === 0) throw new NotFoundError(`${this.#table(kind, name)} does not exist`, { backend: BACKEND_NAME });
  }
}
