import { describe, expect, it } from "vitest";
import type { StorageContext } from "./context.js";

/** Concurrent appends, updates and deletes within one process lose nothing. */
export function concurrencyTests(ctx: StorageContext): void {
  describe("concurrency within one process", () => {
    it("loses nothing when many appends run at once", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const singles = Array.from({ length: 40 }, (_, i) => t.append({ i }));
      const batches = Array.from({ length: 5 }, (_, b) => t.appendMany(Array.from({ length: 20 }, (_, j) => ({ i: 100 + b * 20 + j }))));
      const got = [...(await Promise.all(singles)), ...(await Promise.all(batches)).flat()];
      const loaded = await t.load();
      expect(loaded).toHaveLength(140);
      expect(new Set(ctx.ids(loaded))).toEqual(new Set(got));
      expect(loaded.map((r) => r.i).sort((a, b) => Number(a) - Number(b))).toEqual([
        ...Array.from({ length: 40 }, (_, i) => i),
        ...Array.from({ length: 100 }, (_, i) => 100 + i),
      ]);
      // Rows of one batch stay together and in order.
      const pos = new Map(ctx.ids(loaded).map((id, i) => [id, i]));
      for (let b = 0; b < 5; b++) {
        const batchIds = got.slice(40 + b * 20, 60 + b * 20);
        const positions = batchIds.map((id) => pos.get(id)!);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
      }
    });
    it("applies concurrent updates and deletes of different rows", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const got = await t.appendMany(Array.from({ length: 30 }, (_, i) => ({ i })));
      await Promise.all(got.map((id, i) => (i % 3 === 0 ? t.delete(id) : t.update(id, { i, updated: true }))));
      const loaded = await t.load();
      expect(loaded).toHaveLength(20);
      expect(loaded.every((r) => r.updated === true)).toBe(true);
      expect(ctx.ids(loaded)).toEqual(got.filter((_, i) => i % 3 !== 0));
    });
  });
}
