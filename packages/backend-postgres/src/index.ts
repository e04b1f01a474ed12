import { defineStorageBackend } from "@themis/core";
import { postgresConfigSchema, type PostgresConfig } from "./config.js";
import { PostgresContext } from "./context.js";
import { PostgresStorage } from "./storage.js";
import { POSTGRES_SCHEMES, configFromPostgresUri } from "./uri.js";
import "./backend-configs.js";

async function createPostgresStorage(config: PostgresConfig): Promise<PostgresStorage> {
  const ctx = new PostgresContext(config);
  try {
    await ctx.ensureLayout();
  } catch (error) {
    await ctx.close();
    throw error;
  }
  return new PostgresStorage(ctx);
}

/**
 * The "postgres" storage backend. Installed packages are found by the registry; import
 * this to register it explicitly or to create a backend directly.
 *
 * @example
 * ```ts
 * const project = await Project.create("my_project", "postgres://themis@127.0.0.1:5432/evals");
 * const other = await Project.create("other", "postgres", { host: "db.internal", database: "evals", schema: "team_a" });
 * ```
 */
export const postgresBackend = defineStorageBackend({
  name: "postgres",
  description: "PostgreSQL (pg): rows as exact JSON in three SQL tables, any number of processes",
  schemes: POSTGRES_SCHEMES,
  configSchema: postgresConfigSchema,
  configFromUri: configFromPostgresUri,
  create: createPostgresStorage,
});

export default postgresBackend;
export { postgresConfigSchema, type PostgresConfig, type PostgresConfigInput } from "./config.js";
export { configFromPostgresUri, POSTGRES_SCHEMES } from "./uri.js";
export { createLayoutSql, LAYOUT_VERSION, namesIn, type Names } from "./layout.js";
export { PostgresStorage } from "./storage.js";
