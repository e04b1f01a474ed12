import { describe, expect, it } from "vitest";
import { TRICKY_ROWS } from "./fixtures.js";
import type { StorageContext } from "./context.js";

/** Data survives closing the backend and opening the store with a new instance. */
export function persistenceTests(ctx: StorageContext): void {
  if (!ctx.caps.persistent) return;
  describe("persistence", () => {
    it("keeps projects, tables, rows and ids across close and reopen", async () => {
      const p = await ctx.fresh();
      const d = await p.createDataset("d");
      const got = await d.appendMany(TRICKY_ROWS);
      const e = await p.createExperiment("e");
      const eid = await e.append({ result: 1 });
      const before = await d.load();
      await ctx.reopen(p.name, async (q) => {
        expect(await q.listDatasets()).toEqual(["d"]);
        expect(await q.listExperiments()).toEqual(["e"]);
        const after = await (await q.getDataset("d")).load();
        expect(after).toEqual(before);
        expect(ctx.ids(after)).toEqual(got);
        expect(await (await q.getExperiment("e")).get(eid)).toEqual({ _row_id: eid, result: 1 });
      });
    });
    it("keeps updates and deletes across close and reopen", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const [a, b, c] = await t.appendMany([{ v: 1 }, { v: 2 }, { v: 3 }]);
      await t.update(a!, { v: "one" });
      await t.delete(b!);
      await ctx.reopen(p.name, async (q) => {
        expect(await (await q.getDataset("d")).load()).toEqual([
          { _row_id: a, v: "one" },
          { _row_id: c, v: 3 },
        ]);
      });
    });
    it("sees rows appended through another backend instance", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      await t.append({ from: "first" });
      await ctx.reopen(p.name, async (q) => {
        await (await q.getDataset("d")).append({ from: "second" });
      });
      expect((await t.load()).map((r) => r.from)).toEqual(["first", "second"]);
    });
  });
}
