import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  UnsupportedError,
  type OpenMode,
  type ProjectStore,
  type StorageBackend,
  type TableKind,
} from "@themis/core";
import { endpointUri } from "./connection.js";
import type { RedisContext } from "./context.js";
import { BACKEND_NAME } from "./errors.js";
import { LAYOUT_VERSION, TABLE_KEY_SUFFIXES } from "./keys.js";
import { RedisProject } from "./project-store.js";
import { createProjectScript, deleteProjectScript } from "./scripts.js";

const KINDS: readonly TableKind[] = ["dataset", "experiment"];

/**
 * The "redis" storage backend: projects, tables and rows in one Redis database (or
 * cluster), under a key prefix. Create it through the registry (`Project.create("p",
 * "redis://...")`) or with `redisBackend.create(...)`.
 */
export class RedisStorage implements StorageBackend {
  readonly name = BACKEND_NAME;
  readonly #ctx: RedisContext;

  /** @internal Use the backend definition's `create`. */
  constructor(ctx: RedisContext) {
    this.#ctx = ctx;
  }

  /** The key prefix every key of this backend starts with. */
  get keyPrefix(): string {
    return this.#ctx.keys.prefix;
  }

  #checkLayout(project: string, layout: unknown): void {
    const version = Number(layout);
    if (!Number.isInteger(version) || version < 1) {
      throw new UnsupportedError(
        `project "${project}": its marker ${this.#ctx.keys.project(project)} holds layout ${JSON.stringify(layout)}, which this version cannot read`,
        { backend: BACKEND_NAME },
      );
    }
    if (version > LAYOUT_VERSION) {
      throw new UnsupportedError(
        `project "${project}" was written with key layout ${version} by a newer @themis/backend-redis; this one reads layout ${LAYOUT_VERSION}. Upgrade @themis/backend-redis`,
        { backend: BACKEND_NAME },
      );
    }
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    const marker = this.#ctx.keys.project(project);
    if (mode === "open") {
      const layout = await this.#ctx.run(`opening project "${project}"`, (client) => client.hget(marker, "layout"));
      if (layout === null) throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
      this.#checkLayout(project, layout);
      return new RedisProject(this.#ctx, project);
    }
    // Listed first, created second: a crash in between leaves a listed name without a
    // marker, which listProjects skips, rather than a project nobody can list.
    await this.#ctx.run(`creating project "${project}"`, (client) => client.sadd(this.#ctx.keys.projects(), project));
    const op = randomUUID();
    const reply = await this.#ctx.script(`creating project "${project}"`, createProjectScript, [marker], [LAYOUT_VERSION, new Date().toISOString(), op]);
    // "exists" with our own op id: an earlier delivery of this very call created it.
    if (reply[0] === "exists" && reply[2] !== op) {
      if (mode === "create") throw new AlreadyExistsError(`project "${project}" already exists`, { backend: BACKEND_NAME });
      this.#checkLayout(project, reply[1]);
    }
    return new RedisProject(this.#ctx, project);
  }

  async listProjects(): Promise<string[]> {
    const names = await this.#ctx.run("listing projects", (client) => client.smembers(this.#ctx.keys.projects()));
    // Each marker lives in its project's own cluster slot: one EXISTS each, sent together.
    const exists = await this.#ctx.run("listing projects", (client) => Promise.all(names.map((n) => client.exists(this.#ctx.keys.project(n)))));
    return names.filter((_, i) => exists[i] === 1).sort();
  }

  async deleteProject(project: string): Promise<void> {
    const keys = this.#ctx.keys;
    const marker = keys.project(project);
    const doing = `deleting project "${project}"`;
    // The script deletes only keys it is given: list the tables, then delete them all if
    // the lists are still right (another client may create a table meanwhile).
    const op = randomUUID();
    for (let attempt = 0; attempt < 20; attempt++) {
      const [datasets, experiments] = await this.#ctx.run(doing, (client) => Promise.all(KINDS.map((kind) => client.smembers(keys.tables(project, kind)))));
      const tableKeys = KINDS.flatMap((kind, i) =>
        [datasets, experiments][i]!.flatMap((name) => {
          const k = keys.table(project, kind, name);
          return TABLE_KEY_SUFFIXES.map((suffix) => k[suffix]);
        }),
      );
      const fixed = [marker, keys.tables(project, "dataset"), keys.tables(project, "experiment"), keys.projectOps(project), keys.tombstone(project)];
      const reply = await this.#ctx.script(doing, deleteProjectScript, [...fixed, ...tableKeys], [op, datasets!.length, ...datasets!, ...experiments!]);
      if (reply[0] === "missing_project") throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
      if (reply[0] === "ok") {
        await this.#ctx.run(doing, (client) => client.srem(keys.projects(), project));
        // Created again by another client between the two steps: list it again.
        const recreated = await this.#ctx.run(doing, (client) => client.exists(marker));
        if (recreated) await this.#ctx.run(doing, (client) => client.sadd(keys.projects(), project));
        return;
      }
    }
    throw new ConflictError(`project "${project}" kept changing while being deleted; try again`, { backend: BACKEND_NAME });
  }

  /** Close the connection this backend opened (a client passed in stays open); idempotent. */
  close(): Promise<void> {
    return this.#ctx.close();
  }

  /** Where this backend stores data, without credentials. */
  toString(): string {
    return `RedisStorage(${endpointUri(this.#ctx.endpoint)}, keyPrefix "${this.#ctx.keys.prefix}")`;
  }

  toJSON(): { backend: string; endpoint: string; keyPrefix: string } {
    return { backend: BACKEND_NAME, endpoint: endpointUri(this.#ctx.endpoint), keyPrefix: this.#ctx.keys.prefix };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
