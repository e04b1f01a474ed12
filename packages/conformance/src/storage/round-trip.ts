import { describe, expect, it } from "vitest";
import type { Row } from "@themis/core";
import { TRICKY_ROWS } from "./fixtures.js";
import type { StorageContext } from "./context.js";

/** Every JSON value reads back exactly: types, keys, large values, updates. */
export function roundTripTests(ctx: StorageContext): void {
  describe("exact JSON round-trip", () => {
    it("reads back every TRICKY_ROWS value exactly, each row with its own keys", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const got = await t.appendMany(TRICKY_ROWS);
      const loaded = await t.load();
      expect(loaded).toEqual(TRICKY_ROWS.map((row, i) => ({ _row_id: got[i], ...row })));
      for (const [i, row] of loaded.entries()) expect(Object.keys(row).sort()).toEqual(["_row_id", ...Object.keys(TRICKY_ROWS[i]!)].sort());
    });
    it("keeps strings and numbers apart: '1' vs 1, 'true' vs true, 'null' vs null", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const [a, b] = await t.appendMany([
        { v: "1", w: "true", x: "null", y: "" },
        { v: 1, w: true, x: null },
      ]);
      const ra = await t.get(a!);
      const rb = await t.get(b!);
      expect(ra).toEqual({ _row_id: a, v: "1", w: "true", x: "null", y: "" });
      expect(typeof ra.v).toBe("string");
      expect(rb).toEqual({ _row_id: b, v: 1, w: true, x: null });
      expect(typeof rb.v).toBe("number");
      expect("y" in rb).toBe(false);
    });
    it("keeps null apart from a missing key, and false/0 apart from missing", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const [a, b] = await t.appendMany([{ k: null, f: false, z: 0 }, { other: 1 }]);
      expect(await t.get(a!)).toEqual({ _row_id: a, k: null, f: false, z: 0 });
      const rb = await t.get(b!);
      expect(Object.keys(rb).sort()).toEqual(["_row_id", "other"]);
    });
    it("round-trips keys with spaces, quotes, commas, unicode, formula characters and __proto__", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const row = { "a key": 1, 'q"uote': 2, "com,ma": 3, ключ: 4, "=sum": 5, "new\nline": 6, "": 7 };
      const id = await t.append(row);
      expect(await t.get(id)).toEqual({ _row_id: id, ...row });
      // A "__proto__" key is data: it must neither vanish nor become the row's prototype.
      const proto = JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as Row;
      const pid = await t.append(proto);
      for (const got of [await t.get(pid), (await t.load()).find((r) => r._row_id === pid)!]) {
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        expect(Object.keys(got).sort()).toEqual(["__proto__", "_row_id", "b"]);
        expect(JSON.stringify(got[Object.keys(got).find((k) => k === "__proto__")!])).toBe('{"polluted":true}');
      }
    });
    it("round-trips a large string value", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const big = 'x,"\n🎉'.repeat(Math.floor(ctx.caps.largeValueBytes / 8)).slice(0, ctx.caps.largeValueBytes);
      const id = await t.append({ big, after: 1 });
      const row = await t.get(id);
      expect(row.big).toBe(big);
      expect(row.after).toBe(1);
    });
    it("round-trips values changed by update, including type changes", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const id = await t.append({ v: "1" });
      await t.update(id, { v: 1, w: { deep: ["1", 1] } });
      expect(await t.get(id)).toEqual({ _row_id: id, v: 1, w: { deep: ["1", 1] } });
      await t.update(id, { v: "1" });
      expect(await t.get(id)).toEqual({ _row_id: id, v: "1" });
    });
  });
}
