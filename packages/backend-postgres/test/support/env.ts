// What every test file needs: the shared server (or a loud skip), fresh backends in a
// schema of their own, and a raw pg client to look at what really reached PostgreSQL.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import pg from "pg";
import { requireService } from "@themis/conformance";
import { parseBackendConfig } from "@themis/core";
import { postgresBackend, type PostgresConfigInput, type PostgresStorage } from "../../src/index.js";

export const postgresUrl = inject("postgresUrl");
if (postgresUrl === undefined) throw new Error("test/global-setup.ts did not run: run the tests through vitest with this package's config");
/** True when a server is there; false (after a loud warning) when tests must skip. Throws in CI. */
export const postgresAvailable = requireService("postgresql", postgresUrl !== "", inject("postgresMissing"));

/** A schema name no other test file or run uses. */
export function uniqueSchema(label: string): string {
  return `themis_test_${label}_${randomBytes(4).toString("hex")}`;
}

/** The server's connection fields, as the URI gives them. */
export function serverConfig(): PostgresConfigInput {
  return postgresBackend.configFromUri!(new URL(postgresUrl)) as PostgresConfigInput;
}

/** A backend over the shared server, validated through the schema as the registry would. */
export async function createBackend(config: PostgresConfigInput = {}): Promise<PostgresStorage> {
  return (await postgresBackend.create(parseBackendConfig(postgresBackend, { ...serverConfig(), ...config }))) as PostgresStorage;
}

/** A plain client on the shared server, for raw probes. Close it with `end()`. */
export async function rawClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  return client;
}

/** Drop a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = await rawClient();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
