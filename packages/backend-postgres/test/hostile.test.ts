// Rows changed by hand through SQL into something Themis cannot have written: reading them
// fails with ERR_THEMIS_CORRUPT_DATA naming the row, never returns a wrong row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { Project, type Dataset } from "@themis/core";
import { namesIn } from "../src/index.js";
import { createBackend, dropSchema, postgresAvailable, rawClient, uniqueSchema } from "./support/env.js";

const schema = uniqueSchema("hostile");
const rows = namesIn(schema).rows;

describe.skipIf(!postgresAvailable)("rows edited by hand", () => {
  let raw: pg.Client;
  let project: Project;
  let table: Dataset;
  beforeAll(async () => {
    raw = await rawClient();
    project = await Project.create("p", await createBackend({ schema }));
  });
  afterAll(async () => {
    await project?.close();
    await raw?.end();
    await dropSchema(schema);
  });

  it.each([
    ["not JSON", "{oops"],
    ["a JSON array", "[1, 2]"],
    ["another _row_id", '{"_row_id": "someone-else", "n": 1}'],
  ])("%s", async (label, json) => {
    table = await project.createDataset(`t-${label.replaceAll(" ", "-")}`);
    const [id] = await table.appendMany([{ n: 1 }]);
    await raw.query(`UPDATE ${rows} SET json = $1 WHERE row_id = $2`, [json, id]);
    for (const read of [
      () => table.load(),
      () => table.get(id!),
      async () => {
        for await (const _ of table.entries()) void _;
      },
    ]) {
      const error = await read().then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
      expect(error).toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", backend: "postgres" });
      expect(error!.message).toContain(id);
    }
  });
});
