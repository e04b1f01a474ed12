import { describe, expect, it } from "vitest";
import { collect } from "./fixtures.js";
import type { StorageContext } from "./context.js";

/** Rows through the Project layer: ids, order, get, update, delete, entries, isolation from callers. */
export function rowTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  describe("rows", () => {
    it("append returns the id that get and load show", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const id = await t.append({ q: "2+2?", a: "4" });
      expect(typeof id).toBe("string");
      expect(await t.get(id)).toEqual({ _row_id: id, q: "2+2?", a: "4" });
      expect(await t.load()).toEqual([{ _row_id: id, q: "2+2?", a: "4" }]);
    });
    it("appendMany returns ids in input order and keeps that order", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const rows = Array.from({ length: 25 }, (_, i) => ({ i }));
      const got = await t.appendMany(rows);
      const loaded = await t.load();
      expect(ctx.ids(loaded)).toEqual(got);
      expect(loaded.map((r) => r.i)).toEqual(rows.map((r) => r.i));
    });
    it("load() with maxLoadRows streams and fails with ERR_THEMIS_TOO_LARGE past the limit", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d", { maxLoadRows: 3 });
      const got = await t.appendMany([{ i: 0 }, { i: 1 }, { i: 2 }]);
      expect(ctx.ids(await t.load())).toEqual(got);
      await t.append({ i: 3 });
      await expectCode(t.load(), "ERR_THEMIS_TOO_LARGE");
    });
    it("keeps the order of many single appends", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const got: string[] = [];
      for (let i = 0; i < 40; i++) got.push(await t.append({ i }));
      expect(ctx.ids(await t.load())).toEqual(got);
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "d")).toEqual(got);
    });
    it("gives every row a unique id", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const got = await t.appendMany(Array.from({ length: 300 }, (_, i) => ({ i })));
      expect(new Set(got).size).toBe(300);
    });
    it("keeps a caller-provided _row_id", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      expect(await t.append({ _row_id: "my-id:1", v: 1 })).toBe("my-id:1");
      expect(await t.get("my-id:1")).toEqual({ _row_id: "my-id:1", v: 1 });
    });
    it("refuses to append a row whose _row_id exists (ALREADY_EXISTS), keeping the stored row and storing nothing of the batch", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      await t.appendMany([
        { _row_id: "taken", v: 1 },
        { _row_id: "other", v: 2 },
      ]);
      await expectCode(t.append({ _row_id: "taken", v: "replaced?" }), "ERR_THEMIS_ALREADY_EXISTS");
      await expectCode(
        t.appendMany([
          { _row_id: "fresh-1", v: 3 },
          { _row_id: "other", v: "again" },
        ]),
        "ERR_THEMIS_ALREADY_EXISTS",
      );
      expect(await t.load()).toEqual([
        { _row_id: "taken", v: 1 },
        { _row_id: "other", v: 2 },
      ]);
      expect(await collect(t.entries())).toHaveLength(2);
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "d")).toEqual(["taken", "other"]);
    });
    it("appendMany of nothing stores nothing", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      expect(await t.appendMany([])).toEqual([]);
      expect(await t.load()).toEqual([]);
    });
    it("get of a missing row is NOT_FOUND", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      await t.append({ x: 1 });
      await expectCode(t.get("missing-id"), "ERR_THEMIS_NOT_FOUND");
    });
    it("update replaces the row in place and leaves the others alone", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const [a, b, c] = await t.appendMany([{ v: "a" }, { v: "b", extra: 1 }, { v: "c" }]);
      await t.update(b!, { v: "B", added: [1, 2] });
      expect(await t.load()).toEqual([
        { _row_id: a, v: "a" },
        { _row_id: b, v: "B", added: [1, 2] },
        { _row_id: c, v: "c" },
      ]);
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "d")).toEqual([a, b, c]);
    });
    it("update of a missing row is NOT_FOUND and changes nothing", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const id = await t.append({ v: 1 });
      await expectCode(t.update("missing-id", { v: 2 }), "ERR_THEMIS_NOT_FOUND");
      expect(await t.load()).toEqual([{ _row_id: id, v: 1 }]);
    });
    it("delete removes one row and keeps the order of the rest", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const [a, b, c] = await t.appendMany([{ v: 1 }, { v: 2 }, { v: 3 }]);
      await t.delete(b!);
      expect(ctx.ids(await t.load())).toEqual([a, c]);
      await expectCode(t.get(b!), "ERR_THEMIS_NOT_FOUND");
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "d")).toEqual([a, c]);
      const d = await t.append({ v: 4 });
      expect(ctx.ids(await t.load())).toEqual([a, c, d]);
    });
    it("delete of a missing row is NOT_FOUND", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      await expectCode(t.delete("missing-id"), "ERR_THEMIS_NOT_FOUND");
    });
    it("entries() streams exactly what load() returns", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      await t.appendMany(Array.from({ length: 1500 }, (_, i) => ({ i, s: `row ${i}`, odd: i % 2 === 1 ? { i } : null })));
      await t.delete((await t.load())[10]!._row_id);
      const loaded = await t.load();
      expect(loaded).toHaveLength(1499);
      expect(await collect(t.entries())).toEqual(loaded);
      expect(await collect(t)).toEqual(loaded);
    });
    it("does not let callers change stored rows by mutating objects", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const input = { list: [1], obj: { k: "v" } };
      const id = await t.append(input);
      input.list.push(2);
      input.obj.k = "changed";
      const got = await t.get(id);
      (got.list as number[]).push(3);
      expect(await t.get(id)).toEqual({ _row_id: id, list: [1], obj: { k: "v" } });
    });
  });
}
