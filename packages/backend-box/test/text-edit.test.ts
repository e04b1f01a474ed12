import { describe, expect, it } from "vitest";
import type { StoredRow } from "@themis/core";
import { headerFor, parseCsv, serializeRows } from "@themis/csv-codec";
import { RowIndex } from "../src/row-index.js";
import { applyChanges, type TableContent } from "../src/table-changes.js";
import { recordEnd, recordSpans, textSlices } from "../src/record-scan.js";
import { editText, rowInText } from "../src/text-edit.js";

function content(rows: StoredRow[], newline: "\n" | "\r\n" = "\n"): TableContent {
  const header = headerFor(rows, ["_row_id"]);
  return { header, text: serializeRows(header, rows, { newline }), newline, index: RowIndex.of(rows), rows: undefined };
}
const reread = (c: TableContent) => parseCsv(c.text, { source: "test" }).rows;
const neverParse = (): StoredRow[] => {
  throw new Error("the rows were parsed");
};

// Cells that make records hard to find: quotes, commas, line breaks (LF and CRLF) inside cells.
const tricky: StoredRow[] = [
  { _row_id: "a", q: 'say "hi",\nthen go', n: 1 },
  { _row_id: "b", q: "plain", n: 2 },
  { _row_id: "c", q: '""', n: 3, tags: ["x", "y,z"] },
  { _row_id: "d", q: "line\r\nbreak", n: 4 },
  { _row_id: "e", q: "last", n: 5 },
];

describe("record scan", () => {
  it("finds each record of a file with quoted line breaks and doubled quotes", () => {
    const { text } = content(tricky);
    const spans = recordSpans(text, new Set([0, 1, 2, 3, 4]));
    const header = text.slice(0, recordEnd(text, 0));
    for (const [at, [start, end]] of spans) expect(parseCsv(header + text.slice(start, end), { source: "t" }).rows).toEqual([tricky[at]]);
    expect(spans.get(4)![1]).toBe(text.length);
  });

  it("cuts the text into slices between records, each with its first line number", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ _row_id: `r${i}`, text: `${"x".repeat(500)}\n"${i}"` }));
    const { text, header } = content(rows);
    const slices = [...textSlices(text)];
    expect(slices.length).toBeGreaterThan(1);
    const back = slices.flatMap((s) => parseCsv(text.slice(s.from, s.to), { source: "t", header }).rows);
    expect(back).toEqual(rows);
    // Each row spans two lines (a quoted line break), after the header line.
    expect(slices.map((s) => s.line)).toEqual(slices.map((s) => 2 + 2 * rows.findIndex((r) => text.startsWith(`${r._row_id},`, s.from))));
  });

  it("slices a text without any quote (the scan remembers that there is none)", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ _row_id: `p${i}`, text: "y".repeat(400), n: i }));
    const { text, header } = content(rows);
    expect(text.includes('"')).toBe(false);
    const slices = [...textSlices(text)];
    expect(slices.length).toBeGreaterThan(1);
    expect(slices.flatMap((s) => parseCsv(text.slice(s.from, s.to), { source: "t", header }).rows)).toEqual(rows);
    expect(recordSpans(text, new Set([4999])).get(4999)![1]).toBe(text.length);
  });

  it("reads one row alone", () => {
    expect(rowInText(content(tricky), 2, "c")).toEqual(tricky[2]);
    expect(rowInText(content(tricky), 2, "b")).toBeUndefined();
  });
});

describe("editText", () => {
  for (const newline of ["\n", "\r\n"] as const) {
    it(`updates and deletes rows in the text, without parsing the others (${JSON.stringify(newline)})`, async () => {
      const before = content(tricky, newline);
      const out = await applyChanges(
        before,
        [
          { kind: "update", row: { _row_id: "c", q: 'now "quoted"\nand long', n: 30 } },
          { kind: "delete", id: "a" },
          { kind: "delete", id: "zz" },
          { kind: "update", row: { _row_id: "e", q: "last", n: 50 } },
        ],
        neverParse,
      );
      expect(out.changed).toBe(true);
      expect([...out.failures.keys()]).toEqual([2]);
      expect(out.failures.get(2)).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
      const expected = [tricky[1], { _row_id: "c", q: 'now "quoted"\nand long', n: 30 }, tricky[3], { _row_id: "e", q: "last", n: 50 }];
      expect(reread(out.content)).toEqual(expected);
      // Same bytes as a full rewrite would give, and an index of the new positions.
      expect(out.content.text).toBe(serializeRows(before.header, expected as StoredRow[], { newline }));
      expect(["b", "c", "d", "e", "a"].map((id) => out.content.index.get(id))).toEqual([0, 1, 2, 3, undefined]);
      expect(before.index.get("a")).toBe(0);
    });
  }

  it("answers NOT_FOUND for a row deleted earlier in the batch, and changes nothing for an update to the same content", () => {
    const out = editText(content(tricky), [
      { kind: "delete", id: "b" },
      { kind: "update", row: { _row_id: "b", q: "again", n: 2 } },
    ]);
    expect(out?.failures.get(1)).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(reread(out!.content).map((r) => r._row_id)).toEqual(["a", "c", "d", "e"]);
    const same = editText(content(tricky), [{ kind: "update", row: { ...tricky[1]! } }]);
    expect(same?.changed).toBe(false);
  });

  it("leaves to the full rewrite an update with a new column, and any batch with an append", async () => {
    expect(editText(content(tricky), [{ kind: "update", row: { _row_id: "b", extra: true } }])).toBeUndefined();
    expect(editText(content(tricky), [{ kind: "append", rows: [{ _row_id: "f" }] }])).toBeUndefined();
    const out = await applyChanges(content(tricky), [{ kind: "update", row: { _row_id: "b", extra: true } }], (c) => parseCsv(c.text, { source: "t" }).rows);
    expect(out.content.header).toContain("extra");
    expect(reread(out.content)[1]).toEqual({ _row_id: "b", extra: true });
  });

  it("falls back when the record at a row's position is not that row (a file the scan misreads)", () => {
    const base = content(tricky);
    // An index that disagrees with the text stands for a file the scan reads differently from the parser.
    const wrong = { ...base, index: RowIndex.of([tricky[1]!, tricky[0]!, ...tricky.slice(2)]) };
    expect(editText(wrong, [{ kind: "delete", id: "a" }])).toBeUndefined();
  });
});
