// Table snapshots: the same answers as the streaming path, first rows before the count,
// the memory budget, and the background refresh.
import { describe, expect, it } from "vitest";
import type { StoredRow } from "@themis/core";
import { type RowQuery, queryRows } from "../src/row-query.js";
import { SnapshotCache } from "../src/table-snapshot.js";
import { ViewCache } from "../src/view-cache.js";

/** Rows of mixed shapes: numbers, text in both cases, nested values, missing keys, a NUL. */
const table: StoredRow[] = Array.from({ length: 1_000 }, (_, i) => ({
  _row_id: `r${i}`,
  n: (i * 37) % 101,
  ...(i % 7 === 0 ? {} : { label: i % 3 === 0 ? `Alpha ${i}` : `beta\u0000${i}` }),
  nested: { deep: [i % 5, i % 2 === 0] },
}));

/** A table read through a counter: how many rows the storage was asked for (with a pause every 100 rows, as a real read has). */
function source(rows: StoredRow[]) {
  const counter = { read: 0, passes: 0 };
  const entries = async function* () {
    counter.passes++;
    for (const row of rows) {
      if (counter.read++ % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
      yield row;
    }
  };
  return { counter, entries };
}

const queries: RowQuery[] = [
  { offset: 0, limit: 50 },
  { offset: 990, limit: 50 },
  { offset: 0, limit: 20, filter: "alpha" },
  { offset: 5, limit: 20, filter: "ALPHA 9" },
  { offset: 0, limit: 20, filter: "true]" }, // in nested values, as JSON text
  { offset: 0, limit: 20, filter: "a", column: "label" },
  { offset: 0, limit: 30, sort: "n" },
  { offset: 100, limit: 30, sort: "label", desc: true },
  { offset: 0, limit: 30, sort: "nested", filter: "beta" },
  { offset: 0, limit: 10, filter: "beta\u0000" }, // holds the separator: streamed
];

describe("table snapshots", () => {
  it("answer every query exactly as the streaming path does", async () => {
    const { entries } = source(table);
    const snapshots = new SnapshotCache();
    await snapshots.get("t", entries);
    for (const query of queries) {
      const streamed = await queryRows(entries, query);
      const fromSnapshot = await queryRows(entries, query, new ViewCache(), "t", snapshots);
      expect(fromSnapshot).toEqual(streamed);
    }
  });

  it("answer the first rows while the table is read, then the count, from one pass", async () => {
    const { counter, entries } = source(table);
    const snapshots = new SnapshotCache();
    const first = await queryRows(entries, { offset: 0, limit: 10 }, new ViewCache(), "t", snapshots);
    expect(first).toMatchObject({ partial: true, rows: table.slice(0, 10) });
    expect(first.total).toBeGreaterThan(10);
    expect(first.total).toBeLessThan(table.length);
    // A filter whose page is in the rows read so far: that page, final; the count still partial.
    const alpha = await queryRows(entries, { offset: 0, limit: 2, filter: "alpha" }, new ViewCache(), "t", snapshots);
    const streamed = await queryRows(entries, { offset: 0, limit: 2, filter: "alpha" });
    expect(alpha).toMatchObject({ partial: true, rows: streamed.rows });
    expect(alpha.total).toBeLessThan(streamed.total);
    await snapshots.get("t", entries);
    const again = await queryRows(entries, { offset: 0, limit: 10 }, new ViewCache(), "t", snapshots);
    expect(again).toEqual({ rows: table.slice(0, 10), total: table.length, columns: ["_row_id", "n", "nested", "label"] }); // row 0 has no label
    await queryRows(entries, { offset: 0, limit: 10, filter: "alpha", sort: "n" }, new ViewCache(), "t", snapshots);
    expect(counter.passes).toBe(2); // the snapshot's read, and the streamed answer above
  });

  it("keep within the memory budget: a table that does not fit is streamed", async () => {
    const { counter, entries } = source(table);
    const snapshots = new SnapshotCache({ maxBytes: 10_000 });
    expect(await snapshots.get("t", entries)).toBeUndefined();
    expect(counter.read).toBeLessThan(table.length); // the build gave up as soon as it passed the budget
    const page = await queryRows(entries, { offset: 0, limit: 2, filter: "alpha" }, undefined, "t", snapshots);
    expect(page.total).toBe(table.filter((r) => String(r.label ?? "").startsWith("Alpha")).length);
  });

  it("drop the least recently used table when another needs the room", async () => {
    const a = source(table);
    const b = source(table);
    const probe = new SnapshotCache();
    const size = (await probe.get("x", a.entries))?.bytes ?? 0;
    const snapshots = new SnapshotCache({ maxBytes: Math.floor(size * 1.5) });
    await snapshots.get("a", a.entries);
    await snapshots.get("b", b.entries);
    const passes = a.counter.passes;
    await snapshots.get("a", a.entries); // dropped for b: read again
    expect(a.counter.passes).toBe(passes + 1);
  });

  it("serve an old snapshot at once and read the table again in the background", async () => {
    const rows = table.slice(0, 10);
    const { entries } = source(rows);
    let now = 0;
    const snapshots = new SnapshotCache({ ttlMs: 1_000, now: () => now });
    expect((await snapshots.get("t", entries))?.rows).toHaveLength(10);
    rows.push({ _row_id: "new", n: 1 });
    now = 5_000;
    expect(snapshots.peek("t", entries)).toMatchObject({ rows: { length: 10 } }); // the old one, no wait
    expect((await snapshots.get("t", entries))?.rows).toHaveLength(10);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await snapshots.get("t", entries))?.rows).toHaveLength(11);
  });

  it("do not keep a failed read: the next request reads again and gets the error", async () => {
    let fail = true;
    const entries = async function* () {
      yield table[0] as StoredRow;
      if (fail) throw new Error("storage down");
    };
    const snapshots = new SnapshotCache();
    await expect(snapshots.get("t", entries)).rejects.toThrow("storage down");
    fail = false;
    expect((await snapshots.get("t", entries))?.rows).toHaveLength(1);
  });
});
