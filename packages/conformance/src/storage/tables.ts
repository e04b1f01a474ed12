import { describe, expect, it } from "vitest";
import { collect } from "./fixtures.js";
import type { StorageContext } from "./context.js";

/** Tables: create, open, list (sorted, per kind), delete. */
export function tableTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  describe("tables", () => {
    it("lists datasets and experiments sorted, each kind on its own", async () => {
      const p = await ctx.fresh();
      for (const n of ["b", "a", "C", "_d", "a10", "a2"]) await p.createDataset(n);
      await p.createExperiment("e2");
      await p.createExperiment("e1");
      expect(await p.listDatasets()).toEqual(["C", "_d", "a", "a10", "a2", "b"]);
      expect(await p.listExperiments()).toEqual(["e1", "e2"]);
    });
    it("keeps a dataset and an experiment of the same name apart", async () => {
      const p = await ctx.fresh();
      await (await p.createDataset("x")).append({ kind: "dataset" });
      await (await p.createExperiment("x")).append({ kind: "experiment" });
      expect((await (await p.getDataset("x")).load()).map((r) => r.kind)).toEqual(["dataset"]);
      expect((await (await p.getExperiment("x")).load()).map((r) => r.kind)).toEqual(["experiment"]);
    });
    it("starts a new table empty", async () => {
      const p = await ctx.fresh();
      const t = await p.createExperiment("empty");
      expect(await t.load()).toEqual([]);
      expect(await collect(t.entries())).toEqual([]);
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "experiment", "empty")).toEqual([]);
    });
    it("refuses to create a table that exists (ALREADY_EXISTS) and keeps its rows", async () => {
      const p = await ctx.fresh();
      await (await p.createDataset("d")).append({ keep: true });
      await expectCode(p.createDataset("d"), "ERR_THEMIS_ALREADY_EXISTS");
      expect((await (await p.getDataset("d")).load()).map((r) => r.keep)).toEqual([true]);
    });
    it("refuses to open a missing table (NOT_FOUND)", async () => {
      const p = await ctx.fresh();
      await expectCode(p.getDataset("nope"), "ERR_THEMIS_NOT_FOUND");
      await expectCode(p.getExperiment("nope"), "ERR_THEMIS_NOT_FOUND");
    });
    it("deletes a table and its rows", async () => {
      const p = await ctx.fresh();
      await (await p.createDataset("gone")).appendMany([{ a: 1 }, { a: 2 }]);
      await p.createDataset("stays");
      await p.deleteDataset("gone");
      expect(await p.listDatasets()).toEqual(["stays"]);
      await expectCode(p.getDataset("gone"), "ERR_THEMIS_NOT_FOUND");
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "gone")).toBeUndefined();
      const again = await p.createDataset("gone");
      expect(await again.load()).toEqual([]);
    });
    it("refuses to delete a missing table (NOT_FOUND)", async () => {
      const p = await ctx.fresh();
      await expectCode(p.deleteExperiment("nope"), "ERR_THEMIS_NOT_FOUND");
    });
  });
}
