// Several backends (each its own pool, so its own server connections) writing the same
// tables at once, as several processes would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, type StorageBackend } from "@themis/core";
import { namesIn } from "../src/index.js";
import { createBackend, dropSchema, postgresAvailable, rawClient, uniqueSchema } from "./support/env.js";

const schema = uniqueSchema("concurrency");
const WRITERS = 4;

describe.skipIf(!postgresAvailable)("concurrent writers", () => {
  let backends: StorageBackend[] = [];
  beforeAll(async () => {
    backends = await Promise.all(Array.from({ length: WRITERS }, () => createBackend({ schema, poolSize: 4 })));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await dropSchema(schema);
  });

  async function sharedTable(name: string) {
    await Project.openOrCreate("shared", backends[0]!);
    const projects = await Promise.all(backends.map((b) => Project.open("shared", b)));
    await projects[0]!.createDataset(name);
    return Promise.all(projects.map((p) => p.getDataset(name)));
  }

  it("keeps every row appended by writers at once, each writer's rows in its order", async () => {
    const tables = await sharedTable("appends");
    await Promise.all(
      tables.map(async (t, w) => {
        for (let i = 0; i < 20; i++)
          await t.appendMany([
            { w, i, half: 0 },
            { w, i, half: 1 },
          ]);
      }),
    );
    const rows = await tables[0]!.load();
    expect(rows).toHaveLength(WRITERS * 40);
    for (let w = 0; w < WRITERS; w++) {
      const mine = rows.filter((r) => r.w === w).map((r) => `${String(r.i)}.${String(r.half)}`);
      expect(mine).toEqual(Array.from({ length: 40 }, (_, k) => `${Math.floor(k / 2)}.${k % 2}`));
    }
  });

  it("lets exactly one writer store a _row_id; the others get ALREADY_EXISTS and store nothing", async () => {
    const tables = await sharedTable("same-id");
    const outcomes = await Promise.allSettled(
      tables.map((t, w) =>
        t.appendMany([
          { _row_id: `own-${w}`, w },
          { _row_id: "contested", w },
        ]),
      ),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    const rows = await tables[0]!.load();
    const winner = rows.find((r) => r._row_id === "contested")!.w;
    expect(rows.map((r) => r._row_id)).toEqual([`own-${String(winner)}`, "contested"]);
  });

  it("applies every update when writers update rows of one table at once", async () => {
    const tables = await sharedTable("updates");
    const ids = await tables[0]!.appendMany(Array.from({ length: WRITERS * 5 }, (_, i) => ({ i, v: 0 })));
    await Promise.all(
      tables.map(async (t, w) => {
        for (let k = w; k < ids.length; k += WRITERS) await t.update(ids[k]!, { i: k, v: w + 1 });
      }),
    );
    const rows = await tables[0]!.load();
    expect(rows.map((r) => r._row_id)).toEqual(ids);
    expect(rows.map((r) => r.v)).toEqual(ids.map((_, k) => (k % WRITERS) + 1));
  });

  it("a delete of the table while others append leaves no row behind and fails them with NOT_FOUND", async () => {
    const tables = await sharedTable("deleted");
    // Settled at once: an append that fails while the delete is still being awaited would
    // otherwise be an unhandled rejection.
    const appends = Promise.allSettled(
      tables.slice(1).map(async (t) => {
        for (let i = 0; i < 50; i++) await t.append({ i });
      }),
    );
    await tables[0]!.append({ first: true });
    const project = await Project.open("shared", backends[0]!);
    await project.deleteDataset("deleted");
    for (const outcome of await appends) {
      if (outcome.status === "rejected") expect(outcome.reason).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    }
    await expect(tables[1]!.load()).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    const client = await rawClient();
    try {
      const names = namesIn(schema);
      const orphans = await client.query(`SELECT 1 FROM ${names.rows} r WHERE NOT EXISTS (SELECT 1 FROM ${names.tables} t WHERE t.id = r.table_id)`);
      expect(orphans.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
