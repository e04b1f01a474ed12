import { randomUUID } from "node:crypto";
import { AlreadyExistsError, NotFoundError, type ProjectStore, type TableKind, type TableStore } from "@themis/core";
import type { RedisContext } from "./context.js";
import { BACKEND_NAME } from "./errors.js";
import { results } from "./replies.js";
import { createTableScript, deleteTableScript } from "./scripts.js";
import { RedisTable } from "./table-store.js";

/** One project's tables: a set of names per kind, and each table's keys (see keys.ts). */
export class RedisProject implements ProjectStore {
  readonly #ctx: RedisContext;
  readonly #project: string;

  constructor(ctx: RedisContext, project: string) {
    this.#ctx = ctx;
    this.#project = project;
  }

  #label(kind: TableKind, name: string): string {
    return `${kind} "${name}" of project "${this.#project}"`;
  }

  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    const k = this.#ctx.keys.table(this.#project, kind, name);
    const keys = [this.#ctx.keys.project(this.#project), k.index, k.rows, k.order, k.seq, k.ops, this.#ctx.keys.projectOps(this.#project)];
    const reply = await this.#ctx.script(`creating ${this.#label(kind, name)}`, createTableScript, keys, [name, randomUUID(), Date.now()]);
    if (reply[0] === "missing_project") throw new NotFoundError(`project "${this.#project}" does not exist (deleted?)`, { backend: BACKEND_NAME });
    if (reply[0] === "exists") throw new AlreadyExistsError(`${this.#label(kind, name)} already exists`, { backend: BACKEND_NAME });
    return new RedisTable(this.#ctx, this.#project, kind, name);
  }

  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    const index = this.#ctx.keys.tables(this.#project, kind);
    const exists = await this.#ctx.run(`opening ${this.#label(kind, name)}`, (client) => client.sismember(index, name));
    if (!exists) throw new NotFoundError(`${this.#label(kind, name)} does not exist`, { backend: BACKEND_NAME });
    return new RedisTable(this.#ctx, this.#project, kind, name);
  }

  async listTables(kind: TableKind): Promise<string[]> {
    const index = this.#ctx.keys.tables(this.#project, kind);
    const marker = this.#ctx.keys.project(this.#project);
    // The marker and the names in one atomic step (same slot): a handle into a deleted
    // project must answer NOT_FOUND, not an empty listing.
    const [exists, names] = await this.#ctx.run(
      `listing ${kind}s of project "${this.#project}"`,
      async (client) => results(await client.multi().exists(marker).smembers(index).exec()) as [number, string[]],
    );
    if (!exists) throw new NotFoundError(`project "${this.#project}" does not exist (deleted?)`, { backend: BACKEND_NAME });
    return names.sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    const k = this.#ctx.keys.table(this.#project, kind, name);
    const keys = [k.index, k.rows, k.order, k.seq, k.ops, this.#ctx.keys.projectOps(this.#project)];
    const reply = await this.#ctx.script(`deleting ${this.#label(kind, name)}`, deleteTableScript, keys, [name, randomUUID(), Date.now()]);
    if (reply[0] === "missing_table") throw new NotFoundError(`${this.#label(kind, name)} does not exist`, { backend: BACKEND_NAME });
  }
}
