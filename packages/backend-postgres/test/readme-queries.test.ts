// The SQL examples of the README, run as written (schema name swapped for this file's own).
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { createBackend, dropSchema, postgresAvailable, rawClient, uniqueSchema } from "./support/env.js";

const schema = uniqueSchema("readme");
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const queries = [...readme.matchAll(/### Querying results with SQL[\s\S]*?(?=\n## )/g)].flatMap((m) =>
  [...m[0].matchAll(/```sql\n([\s\S]*?)```/g)].map((q) => q[1]!.replaceAll("themis.", `${schema}.`)),
);

describe.skipIf(!postgresAvailable)("the README's SQL queries", () => {
  afterAll(() => dropSchema(schema));

  it("are two, and give what the rows hold", async () => {
    expect(queries).toHaveLength(2);
    const project = await Project.create("my_project", await createBackend({ schema }));
    const run = await project.createExperiment("qa-run");
    await run.appendMany([
      { model: "a", score: 1 },
      { model: "b", score: 0 },
      { model: "a", score: 0.5 },
    ]);
    await (await project.createDataset("qa")).append({ q: "2+2?" });
    const client = await rawClient();
    try {
      const means = await client.query(queries[0]!);
      expect(means.rows).toEqual([
        { model: "a", mean_score: 0.75, n: "2" },
        { model: "b", mean_score: 0, n: "1" },
      ]);
      const counts = await client.query(queries[1]!);
      expect(counts.rows).toEqual([
        { kind: "dataset", name: "qa", n: "1" },
        { kind: "experiment", name: "qa-run", n: "3" },
      ]);
    } finally {
      await client.end();
      await project.close();
    }
  });
});
