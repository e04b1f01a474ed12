// The server ends the backend's sessions (restart, failover, an admin's
// pg_terminate_backend): idle pooled connections must not crash the process, a statement in
// flight fails with a retryable ERR_THEMIS_UNAVAILABLE, and the next calls work again.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { Project, type Dataset } from "@themis/core";
import { namesIn } from "../src/index.js";
import { createBackend, dropSchema, postgresAvailable, rawClient, uniqueSchema } from "./support/env.js";

const schema = uniqueSchema("dropped");
// Our own application_name, so only this file's sessions are terminated.
const app = `themis-dropped-${randomBytes(4).toString("hex")}`;

async function sessions(raw: pg.Client, extra = ""): Promise<number> {
  const found = await raw.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 ${extra}`, [app]);
  return found.rowCount ?? 0;
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe.skipIf(!postgresAvailable)("dropped connections", () => {
  let raw: pg.Client;
  let project: Project;
  let table: Dataset;
  beforeAll(async () => {
    raw = await rawClient();
    project = await Project.create("p", await createBackend({ schema, applicationName: app, poolSize: 3 }));
    table = await project.createDataset("d");
  });
  afterAll(async () => {
    await project?.close();
    await raw?.end();
    await dropSchema(schema);
  });

  it("idle connections the server ended are replaced: reads and writes go on", async () => {
    await Promise.all([table.append({ n: 1 }), table.load(), table.load()]); // several pooled connections
    expect(await sessions(raw)).toBeGreaterThan(0);
    await raw.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [app]);
    await waitFor(async () => (await sessions(raw)) === 0);
    expect((await table.load()).map((r) => r.n)).toEqual([1]);
    await table.append({ n: 2 });
    expect((await table.load()).map((r) => r.n)).toEqual([1, 2]);
  });

  it("a write whose session is ended fails with retryable ERR_THEMIS_UNAVAILABLE and changes nothing", async () => {
    const [id] = await table.appendMany([{ n: 3 }]);
    // Hold a lock the update waits on, then end the waiting session.
    await raw.query("BEGIN");
    await raw.query(`LOCK TABLE ${namesIn(schema).rows} IN ACCESS EXCLUSIVE MODE`);
    const update = table.update(id!, { n: 30 }).catch((error: unknown) => error);
    await waitFor(async () => (await sessions(raw, "AND wait_event_type = 'Lock'")) === 1);
    await raw.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [app]);
    expect(await update).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true, backend: "postgres" });
    await raw.query("ROLLBACK");
    expect((await table.get(id!))?.n).toBe(3);
    await table.update(id!, { n: 30 });
    expect((await table.get(id!))?.n).toBe(30);
  });
});
