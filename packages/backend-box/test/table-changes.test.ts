import { describe, expect, it } from "vitest";
import type { StoredRow } from "@themis/core";
import { parseCsv, serializeRows, headerFor } from "@themis/csv-codec";
import { RowIndex } from "../src/row-index.js";
import { applyChanges, type TableContent } from "../src/table-changes.js";

function content(rows: StoredRow[], parsed = true): TableContent {
  const header = headerFor(rows, ["_row_id"]);
  return { header, text: serializeRows(header, rows), newline: "\n", index: RowIndex.of(rows), rows: parsed ? rows : undefined };
}

let parses = 0;
const rowsOf = (c: TableContent): StoredRow[] => {
  parses++;
  c.rows ??= parseCsv(c.text, { source: "test" }).rows;
  return c.rows;
};
const reread = (c: TableContent) => parseCsv(c.text, { source: "test" }).rows;

describe("applyChanges", () => {
  const base = [
    { _row_id: "a", v: 1 },
    { _row_id: "b", v: 2 },
  ];

  it("appends new rows by adding lines to the text, without parsing the stored rows", async () => {
    parses = 0;
    const before = content(base, false);
    const out = await applyChanges(before, [{ kind: "append", rows: [{ _row_id: "c", v: 3 }] }], rowsOf);
    expect(parses).toBe(0);
    expect(out.changed).toBe(true);
    expect(out.content.text.startsWith(before.text)).toBe(true);
    expect(reread(out.content)).toEqual([...base, { _row_id: "c", v: 3 }]);
    expect(out.content.index.get("c")).toBe(2);
    expect(before.index.get("c")).toBeUndefined();
  });

  it("rewrites the file with a wider header when appended rows bring new columns", async () => {
    const out = await applyChanges(content(base), [{ kind: "append", rows: [{ _row_id: "c", w: "new" }] }], rowsOf);
    expect(out.content.header).toEqual(["_row_id", "v", "w"]);
    expect(reread(out.content)).toEqual([...base, { _row_id: "c", w: "new" }]);
  });

  it("applies appends, updates and deletes of one batch in order; a missing row fails alone", async () => {
    const out = await applyChanges(
      content(base, false),
      [
        { kind: "append", rows: [{ _row_id: "c", v: 3 }] },
        { kind: "update", row: { _row_id: "c", v: 30 } },
        { kind: "delete", id: "a" },
        { kind: "update", row: { _row_id: "zz", v: 0 } },
        { kind: "append", rows: [{ _row_id: "d", v: 4 }] },
      ],
      rowsOf,
    );
    expect([...out.failures.keys()]).toEqual([3]);
    expect(out.failures.get(3)).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(reread(out.content)).toEqual([
      { _row_id: "b", v: 2 },
      { _row_id: "c", v: 30 },
      { _row_id: "d", v: 4 },
    ]);
    expect(out.content.index.entries()).toEqual([
      ["b", 0],
      ["c", 1],
      ["d", 2],
    ]);
    expect(out.content.rows).toEqual(reread(out.content));
  });

  it("refuses an append with a row stored already (ALREADY_EXISTS) and adds nothing of it; other changes of the batch apply", async () => {
    const before = content(base);
    const out = await applyChanges(
      before,
      [
        {
          kind: "append",
          rows: [
            { _row_id: "c", v: 3 },
            { _row_id: "a", v: 10 },
          ],
        },
        { kind: "append", rows: [{ _row_id: "d", v: 4 }] },
        { kind: "append", rows: [{ _row_id: "d", v: 5 }] },
        { kind: "append", rows: [{ _row_id: "b", v: 2 }] },
        {
          kind: "append",
          rows: [
            { _row_id: "e", v: 6 },
            { _row_id: "e", v: 7 },
          ],
        },
      ],
      rowsOf,
    );
    expect([...out.failures.keys()]).toEqual([0, 2, 3, 4]);
    for (const failure of out.failures.values()) expect(failure).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", backend: "box/csv" });
    expect(reread(out.content)).toEqual([...base, { _row_id: "d", v: 4 }]);
    expect(out.content.index.entries()).toEqual([
      ["a", 0],
      ["b", 1],
      ["d", 2],
    ]);
    expect(before.index.get("c")).toBeUndefined();
    const none = await applyChanges(content(base), [{ kind: "append", rows: [{ _row_id: "a", v: 1 }] }], rowsOf);
    expect(none.changed).toBe(false);
    expect(none.failures.get(0)).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
  });

  it("after a 412, an append that may be stored by its own upload is done when its rows are there, equal and in order", async () => {
    const stored = content([...base, { _row_id: "c", v: 3 }, { _row_id: "d", v: 4 }, { _row_id: "x", v: 9 }]);
    const changes = [
      {
        kind: "append",
        rows: [
          { _row_id: "c", v: 3 },
          { _row_id: "d", v: 4 },
        ],
      },
      { kind: "append", rows: [{ _row_id: "x", v: 0 }] },
      {
        kind: "append",
        rows: [
          { _row_id: "d", v: 4 },
          { _row_id: "c", v: 3 },
        ],
      },
      { kind: "append", rows: [{ _row_id: "a", v: 1 }] },
      { kind: "append", rows: [{ _row_id: "f", v: 5 }] },
    ] as const;
    const out = await applyChanges(stored, changes, rowsOf, new Set([0, 1, 2, 4]));
    // 0: its own rows; 1: another value under its id; 2: not in its order; 3: never uploaded by this writer.
    expect([...out.failures.keys()]).toEqual([1, 2, 3]);
    expect(reread(out.content).map((r) => r._row_id)).toEqual(["a", "b", "c", "d", "x", "f"]);
    // Without the hint, the same rows are a duplicate.
    expect((await applyChanges(stored, [changes[0]], rowsOf)).failures.get(0)).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    expect((await applyChanges(stored, [changes[0]], rowsOf, new Set([0]))).changed).toBe(false);
  });

  it("changes nothing for an update to equal content or a batch of failures", async () => {
    expect((await applyChanges(content(base), [{ kind: "update", row: { _row_id: "b", v: 2 } }], rowsOf)).changed).toBe(false);
    const failed = await applyChanges(content(base), [{ kind: "delete", id: "nope" }], rowsOf);
    expect(failed.changed).toBe(false);
    expect(failed.failures.size).toBe(1);
  });

  it("keeps positions right across many appends (the index shares its bulk between versions)", async () => {
    let c = content([{ _row_id: "r0", n: 0 }], false);
    const versions = [c];
    for (let i = 1; i < 200; i++) {
      c = (await applyChanges(c, [{ kind: "append", rows: [{ _row_id: `r${i}`, n: i }] }], rowsOf)).content;
      versions.push(c);
    }
    for (let i = 0; i < 200; i++) expect(c.index.get(`r${i}`)).toBe(i);
    expect(versions[50]!.index.get("r51")).toBeUndefined();
    expect(versions[50]!.index.size).toBe(51);
    expect(reread(c).map((r) => r.n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("extending an older version (its newer sibling was never stored) does not see the sibling's ids", async () => {
    const v1 = content([{ _row_id: "a", n: 1 }], false);
    const lost = (await applyChanges(v1, [{ kind: "append", rows: [{ _row_id: "x", n: 2 }] }], rowsOf)).content;
    const kept = (await applyChanges(v1, [{ kind: "append", rows: [{ _row_id: "y", n: 3 }] }], rowsOf)).content;
    expect(lost.index.get("x")).toBe(1);
    expect(kept.index.get("x")).toBeUndefined();
    expect(kept.index.get("y")).toBe(1);
    expect(v1.index.get("x")).toBeUndefined();
    expect(kept.index.entries()).toEqual([
      ["a", 0],
      ["y", 1],
    ]);
  });
});
