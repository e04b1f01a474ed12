import { describe, expect, it } from "vitest";
import type { StoredRow, TableStore } from "@themis/core";
import { TRICKY_ROWS, collect } from "./fixtures.js";

/** What the raw table tier needs: a new, empty table each call. */
export interface TableStoreContext {
  table(): Promise<TableStore>;
}

const row = (id: string, fields: Record<string, unknown> = {}): StoredRow => ({ _row_id: id, ...fields }) as StoredRow;
const ids = (rows: readonly StoredRow[]): string[] => rows.map((r) => r._row_id);
const expectCode = async (promise: Promise<unknown>, code: string): Promise<void> => {
  await expect(promise).rejects.toMatchObject({ code });
};

/**
 * The {@link TableStore} contract itself, called directly (no Project, no core
 * validation): order, ids, atomic batches, updates in place, NOT_FOUND / ALREADY_EXISTS,
 * streaming, exact JSON, rows returned as the caller's own.
 */
export function tableStoreTests(ctx: TableStoreContext): void {
  describe("table store (raw)", () => {
    it("starts empty; append keeps order; get returns a row or undefined", async () => {
      const t = await ctx.table();
      expect(await t.load()).toEqual([]);
      expect(await collect(t.entries())).toEqual([]);
      await t.append([row("a", { v: 1 }), row("b", { v: 2 })]);
      await t.append([row("c", { v: 3 })]);
      expect(await t.load()).toEqual([row("a", { v: 1 }), row("b", { v: 2 }), row("c", { v: 3 })]);
      expect(await t.get("b")).toEqual(row("b", { v: 2 }));
      expect(await t.get("missing")).toBeUndefined();
    });
    it("append of a taken id is ALREADY_EXISTS and stores nothing of the batch", async () => {
      const t = await ctx.table();
      await t.append([row("a", { v: 1 })]);
      await expectCode(t.append([row("new", { v: 2 }), row("a", { v: "again" })]), "ERR_THEMIS_ALREADY_EXISTS");
      expect(await t.load()).toEqual([row("a", { v: 1 })]);
      expect(await t.get("new")).toBeUndefined();
    });
    it("a large batch keeps its order, and one taken id at its end stores nothing of it (appendSerialized too, when the store has it)", async () => {
      const t = await ctx.table();
      // The optional path core takes for every Table append when the store has it; else append.
      const add = (batch: StoredRow[]): Promise<void> =>
        t.appendSerialized ? t.appendSerialized(batch.map((r) => ({ id: r._row_id, json: JSON.stringify(r) }))) : t.append(batch);
      const rows = [row("a", { v: 1, nested: { list: [1, "x"] } }), row("b", { v: null })];
      // Large enough to take a store's batch path (Redis switches above 64 rows).
      const many = Array.from({ length: 300 }, (_, i) => row(`m${i}`, { i }));
      await add(rows);
      await add(many);
      expect(await t.load()).toEqual([...rows, ...many]);
      await t.append([row("c")]);
      await expectCode(add([row("new"), row("a", { v: "again" })]), "ERR_THEMIS_ALREADY_EXISTS");
      await expectCode(add([...many.map((r) => row(`n${r._row_id}`)), row("c")]), "ERR_THEMIS_ALREADY_EXISTS");
      expect(ids(await t.load())).toEqual([...ids(rows), ...ids(many), "c"]);
      expect(await t.get("new")).toBeUndefined();
      expect(await t.get("nm0")).toBeUndefined();
    });
    it("update replaces in place; update of a missing row is NOT_FOUND and changes nothing", async () => {
      const t = await ctx.table();
      await t.append([row("a"), row("b", { v: 1 }), row("c")]);
      await t.update(row("b", { v: "B", w: [1] }));
      expect(await t.load()).toEqual([row("a"), row("b", { v: "B", w: [1] }), row("c")]);
      await expectCode(t.update(row("missing", { v: 2 })), "ERR_THEMIS_NOT_FOUND");
      expect(ids(await t.load())).toEqual(["a", "b", "c"]);
    });
    it("delete removes one row and keeps the order; delete of a missing row is NOT_FOUND", async () => {
      const t = await ctx.table();
      await t.append([row("a"), row("b"), row("c")]);
      await t.delete("b");
      await expectCode(t.delete("b"), "ERR_THEMIS_NOT_FOUND");
      await t.append([row("d")]);
      expect(ids(await t.load())).toEqual(["a", "c", "d"]);
      expect(await t.get("b")).toBeUndefined();
    });
    it("entries() streams exactly what load() returns", async () => {
      const t = await ctx.table();
      await t.append(Array.from({ length: 1200 }, (_, i) => row(`r${i}`, { i, odd: i % 2 === 1 ? { i } : null })));
      await t.delete("r7");
      const loaded = await t.load();
      expect(loaded).toHaveLength(1199);
      expect(await collect(t.entries())).toEqual(loaded);
    });
    it("reads back every tricky JSON value exactly, each row with its own keys", async () => {
      const t = await ctx.table();
      const rows = TRICKY_ROWS.map((r, i) => ({ _row_id: `t${i}`, ...r }) as StoredRow);
      await t.append(rows);
      const loaded = await t.load();
      expect(loaded).toEqual(rows);
      for (const [i, r] of loaded.entries()) expect(Object.keys(r).sort()).toEqual(Object.keys(rows[i]!).sort());
    });
    it("returns rows the caller owns: mutating a returned row changes nothing stored", async () => {
      const t = await ctx.table();
      // Core hands append and update rows it copied for the backend, which may keep them;
      // what the backend returns goes to users, who may change it.
      await t.append([row("a", { list: [1], obj: { k: "v" } })]);
      ((await t.get("a"))!.list as number[]).push(2);
      ((await t.load())[0]!.obj as Record<string, string>).k = "changed";
      for await (const r of t.entries()) (r.list as number[]).push(3);
      expect(await t.get("a")).toEqual(row("a", { list: [1], obj: { k: "v" } }));
    });
    it("loses nothing when appends run at once, and keeps the order within each batch", async () => {
      const t = await ctx.table();
      const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 10 }, (_, j) => row(`b${b}-${j}`, { b, j })));
      await Promise.all(batches.map((batch) => t.append(batch)));
      const loaded = ids(await t.load());
      expect(new Set(loaded)).toEqual(new Set(batches.flat().map((r) => r._row_id)));
      for (const batch of batches) {
        const positions = ids(batch).map((id) => loaded.indexOf(id));
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
      }
    });
  });
}
