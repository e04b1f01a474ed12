import { afterAll, describe, expect, it } from "vitest";
import { storageSuite } from "@themis/conformance";
import { Project } from "@themis/core";
import { namesIn } from "../src/index.js";
import { createBackend, dropSchema, postgresAvailable, rawClient, uniqueSchema } from "./support/env.js";

const schema = uniqueSchema("conformance");
const names = namesIn(schema);

storageSuite({
  name: "postgres",
  skip: postgresAvailable ? false : "no PostgreSQL server",
  create: () => createBackend({ schema }),
  // Reads the raw tables: the table's row, then its rows in `seq` order.
  oracle: {
    async rowIds(project, kind, table) {
      const client = await rawClient();
      try {
        const found = await client.query<{ id: string }>(`SELECT id FROM ${names.tables} WHERE project = $1 AND kind = $2 AND name = $3`, [
          project,
          kind,
          table,
        ]);
        if (found.rowCount === 0) return undefined;
        const rows = await client.query<{ row_id: string; json: string }>(`SELECT row_id, json FROM ${names.rows} WHERE table_id = $1 ORDER BY seq`, [
          found.rows[0]!.id,
        ]);
        for (const r of rows.rows) expect((JSON.parse(r.json) as { _row_id: string })._row_id).toBe(r.row_id);
        return rows.rows.map((r) => r.row_id);
      } finally {
        await client.end();
      }
    },
  },
});

describe.skipIf(!postgresAvailable)("what the conformance run left in PostgreSQL", () => {
  afterAll(() => dropSchema(schema));

  it("stores every row as its exact JSON text, keys in the order written", async () => {
    const backend = await createBackend({ schema });
    const p = await Project.create(`raw_${Date.now()}`, backend);
    const t = await p.createDataset("d");
    const id = await t.append({ z: 1, a: "1", nested: { b: [true, null], a: 0 } });
    const client = await rawClient();
    try {
      const found = await client.query<{ json: string; doc: unknown }>(
        `SELECT r.json, r.json::jsonb AS doc FROM ${names.rows} r JOIN ${names.tables} t ON t.id = r.table_id WHERE t.project = $1 AND r.row_id = $2`,
        [p.name, id],
      );
      expect(found.rows[0]!.json).toBe(JSON.stringify({ _row_id: id, z: 1, a: "1", nested: { b: [true, null], a: 0 } }));
      expect(Object.keys((await t.get(id))!)).toEqual(["_row_id", "z", "a", "nested"]);
    } finally {
      await client.end();
      await backend.deleteProject(p.name);
      await backend.close();
    }
  });
});
