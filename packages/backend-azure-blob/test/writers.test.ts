// Two backend instances (each with its own writer state, as two processes have) writing one
// table at once: no append is lost or duplicated, and a new id raced by both is stored once.
import type { ContainerClient } from "@azure/storage-blob";
import { Project } from "@themis/core";
import { describe, expect, it } from "vitest";
import { Layout } from "../src/layout.js";
import { azureService, useFreshContainer } from "./support/env.js";

const connectionString = azureService();
let raw: ContainerClient;
const { backend } = useFreshContainer(connectionString, "wr", (_c, r) => {
  raw = r;
});

/** Two backend instances with a handle each on table "t" of a new project `name`. */
async function twoWriters(name: string) {
  const pa = await Project.create(name, backend());
  const pb = await Project.open(name, backend());
  await pa.createDataset("t");
  return { pa, pb, ta: await pa.getDataset("t"), tb: await pb.getDataset("t") };
}

describe.skipIf(!connectionString)("two writers", () => {
  it("appending at once lose no row, duplicate none, and keep every batch whole and in order", async () => {
    const { ta, tb } = await twoWriters("race");
    const write = async (table: typeof ta, who: string) => {
      for (let batch = 0; batch < 15; batch++) {
        await table.appendMany(Array.from({ length: 20 }, (_, i) => ({ _row_id: `${who}-${batch}-${i}`, who, batch, i })));
      }
    };
    await Promise.all([write(ta, "a"), write(tb, "b")]);
    const rows = await (await (await Project.open("race", backend())).getDataset("t")).load();
    expect(rows).toHaveLength(600);
    expect(new Set(rows.map((r) => r._row_id)).size).toBe(600);
    for (const who of ["a", "b"]) {
      const mine = rows.filter((r) => r.who === who).map((r) => `${r.batch}-${r.i}`);
      expect(mine).toEqual(Array.from({ length: 300 }, (_, k) => `${Math.floor(k / 20)}-${k % 20}`));
    }
    // Each batch is contiguous: one segment per batch, never interleaved with the other writer's.
    for (let k = 0; k < rows.length; k += 20) expect(new Set(rows.slice(k, k + 20).map((r) => `${r.who}-${r.batch}`)).size).toBe(1);
  });

  it("racing to append one new id: exactly one wins, the other is ALREADY_EXISTS, the row is stored once", async () => {
    const { ta, tb } = await twoWriters("dup");
    // Both writers know the table (state folded) before the race.
    await ta.append({ _row_id: "seed" });
    await tb.appendMany([{ _row_id: "seed-b" }]);
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([ta.append({ _row_id: `x${round}`, by: "a" }), tb.append({ _row_id: `x${round}`, by: "b" })]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", backend: "azure-blob" });
    }
    const ids = (await ta.load()).map((r) => r._row_id);
    expect(ids.filter((id) => id.startsWith("x"))).toEqual(["x0", "x1", "x2", "x3", "x4"]);
  });

  it("an update or delete by one writer is never undone by the other's appends", async () => {
    const { ta, tb } = await twoWriters("upd");
    await ta.appendMany(Array.from({ length: 10 }, (_, i) => ({ _row_id: `r${i}`, v: 0 })));
    await Promise.all([
      (async () => {
        for (let i = 0; i < 10; i++) await (i % 2 ? ta.delete(`r${i}`) : ta.update(`r${i}`, { v: 1 }));
      })(),
      (async () => {
        for (let i = 0; i < 10; i++) await tb.append({ _row_id: `n${i}`, v: 2 });
      })(),
    ]);
    const rows = await (await (await Project.open("upd", backend())).getDataset("t")).load();
    expect(rows.filter((r) => r._row_id.startsWith("r"))).toEqual([0, 2, 4, 6, 8].map((i) => ({ _row_id: `r${i}`, v: 1 })));
    expect(rows.filter((r) => r._row_id.startsWith("n"))).toHaveLength(10);
    // The other writer sees the deletes: updating a deleted row is NOT_FOUND there too.
    await expect(tb.update("r1", { v: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
  });

  it("a writer whose table another instance deleted and created again writes to the new table and leaves nothing in the old one", async () => {
    const [a, b] = [backend(), backend()];
    const pa = await Project.create("again", a);
    const ta = await pa.createDataset("t");
    await ta.append({ _row_id: "old" }); // a now knows the first incarnation
    const pb = await Project.open("again", b);
    await pb.deleteDataset("t");
    await pb.createDataset("t");
    // a's next write goes out optimistically to the incarnation it knew, beside the manifest read.
    await ta.append({ _row_id: "new" });
    expect((await (await pb.getDataset("t")).load()).map((r) => r._row_id)).toEqual(["new"]);
    const names: string[] = [];
    for await (const blob of raw.listBlobsFlat({ prefix: new Layout("").tableData("again", "dataset", "t") })) names.push(blob.name);
    expect(names).toHaveLength(1);
    // Deleted without a re-create: NOT_FOUND, and again nothing left behind.
    await pb.deleteDataset("t");
    await expect(ta.append({ _row_id: "lost" })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    for await (const blob of raw.listBlobsFlat({ prefix: new Layout("").tableData("again", "dataset", "t") })) expect.fail(`left behind: ${blob.name}`);
  });
});
