import { AlreadyExistsError, NotFoundError, type OpenMode, type ProjectStore, type StorageBackend } from "@themis/core";
import type { PostgresContext } from "./context.js";
import { BACKEND_NAME } from "./errors.js";
import { PostgresProject } from "./project-store.js";

/** The "postgres" storage backend over one pool and one schema. */
export class PostgresStorage implements StorageBackend {
  readonly name = BACKEND_NAME;
  readonly #ctx: PostgresContext;

  constructor(ctx: PostgresContext) {
    this.#ctx = ctx;
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    const projects = this.#ctx.names.projects;
    const what = `open project "${project}"`;
    if (mode === "open") {
      const found = await this.#ctx.read(what, `SELECT 1 FROM ${projects} WHERE name = $1`, [project]);
      if (found.rowCount === 0) throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
    } else if (mode === "create") {
      try {
        await this.#ctx.query(what, `INSERT INTO ${projects} (name) VALUES ($1)`, [project]);
      } catch (error) {
        if (error instanceof AlreadyExistsError)
          throw new AlreadyExistsError(`project "${project}" already exists`, { backend: BACKEND_NAME, cause: error.cause });
        throw error;
      }
    } else {
      await this.#ctx.query(what, `INSERT INTO ${projects} (name) VALUES ($1) ON CONFLICT DO NOTHING`, [project]);
    }
    return new PostgresProject(this.#ctx, project);
  }

  async listProjects(): Promise<string[]> {
    const found = await this.#ctx.read<{ name: string }>("list projects", `SELECT name FROM ${this.#ctx.names.projects}`);
    return found.rows.map((r) => r.name).sort();
  }

  async deleteProject(project: string): Promise<void> {
    // ON DELETE CASCADE removes its tables and their rows in the same statement.
    const deleted = await this.#ctx.query(`delete project "${project}"`, `DELETE FROM ${this.#ctx.names.projects} WHERE name = $1`, [project]);
    if (deleted.rowCount === 0) throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
  }

  async close(): Promise<void> {
    await this.#ctx.close();
  }
}
