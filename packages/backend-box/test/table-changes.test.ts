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
  return (c.rows ??= parseCsv(c.text, { source: "test" }).rows);
};
const reread = (c: TableContent) => parseCsv(c.text, { source: "test" }).rows;

describe("applyChanges", () => {
  const base = [
    { _row_id: "a", v: 1 },
    { _row_id: "b", v: 2 },
  ];

  it("appends new rows by adding lines to the text, without parsing the stored rows", () => {
    parses = 0;
    const before = content(base, false);
    const out = applyChanges(before, [{ kind: "append", rows: [{ _row_id: "c", v: 3 }] }], rowsOf);
    expect(parses).toBe(0);
    expect(out.changed).toBe(true);
    expect(out.content.text.startsWith(before.text)).toBe(true);
    expect(reread(out.content)).toEqual([...base, { _row_id: "c", v: 3 }]);
    expect(out.content.index.get("c")).toBe(2);
    expect(before.index.get("c")).toBeUndefined();
  });

  it("rewrites the file with a wider header when appended rows bring new columns", () => {
    const out = applyChanges(content(base), [{ kind: "append", rows: [{ _row_id: "c", w: "new" }] }], rowsOf);
    expect(out.content.header).toEqual(["_row_id", "v", "w"]);
    expect(reread(out.content)).toEqual([...base, { _row_id: "c", w: "new" }]);
  });

  it("applies appends, updates and deletes of one batch in order; a missing row fails alone", () => {
    const out = applyChanges(
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

  it("treats an append of rows stored already as done (equal) or as a replacement in place (different)", () => {
    const same = applyChanges(content(base), [{ kind: "append", rows: [{ _row_id: "a", v: 1 }] }], rowsOf);
    expect(same.changed).toBe(false);
    const replaced = applyChanges(content(base), [{ kind: "append", rows: [{ _row_id: "a", v: 10 }, { _row_id: "c", v: 3 }] }], rowsOf);
    expect(reread(replaced.content)).toEqual([{ _row_id: "a", v: 10 }, base[1], { _row_id: "c", v: 3 }]);
  });

  it("changes nothing for an update to equal content or a batch of failures", () => {
    expect(applyChanges(content(base), [{ kind: "update", row: { _row_id: "b", v: 2 } }], rowsOf).changed).toBe(false);
    const failed = applyChanges(content(base), [{ kind: "delete", id: "nope" }], rowsOf);
    expect(failed.changed).toBe(false);
    expect(failed.failures.size).toBe(1);
  });

  it("keeps positions right across many appends (the index shares its bulk between versions)", () => {
    let c = content([{ _row_id: "r0", n: 0 }], false);
    const versions = [c];
    for (let i = 1; i < 200; i++) {
      c = applyChanges(c, [{ kind: "append", rows: [{ _row_id: `r${i}`, n: i }] }], rowsOf).content;
      versions.push(c);
    }
    for (let i = 0; i < 200; i++) expect(c.index.get(`r${i}`)).toBe(i);
    expect(versions[50]!.index.get("r51")).toBeUndefined();
    expect(versions[50]!.index.size).toBe(51);
    expect(reread(c).map((r) => r.n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("extending an older version (its newer sibling was never stored) does not see the sibling's ids", () => {
    const v1 = content([{ _row_id: "a", n: 1 }], false);
    const lost = applyChanges(v1, [{ kind: "append", rows: [{ _row_id: "x", n: 2 }] }], rowsOf).content;
    const kept = applyChanges(v1, [{ kind: "append", rows: [{ _row_id: "y", n: 3 }] }], rowsOf).content;
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
