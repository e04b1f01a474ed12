import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Row, StoredRow } from "@themis/core";
import { encodeRecord, headerFor, parseCsv, parseCsvStream, quoteCell, serializeRows } from "../src/index.js";

const source = "mixed.csv";
const row = (id: string, rest: Row = {}): StoredRow => ({ _row_id: id, ...rest }) as StoredRow;

/** parseCsvStream over every split of the text into two chunks (a `\r\n` cut in half among them). */
async function streamedEverySplit(text: string): Promise<StoredRow[][]> {
  const results: StoredRow[][] = [];
  for (let cut = 1; cut < text.length; cut++) {
    const out: StoredRow[] = [];
    for await (const r of parseCsvStream(Readable.from([text.slice(0, cut), text.slice(cut)]), { source })) out.push(r);
    results.push(out);
  }
  return results;
}

const cases: Array<[string, string, StoredRow[], "\n" | "\r\n"]> = [
  ["a CRLF file with an LF line added by hand", "_row_id,a\r\nr1,x\r\nr2,b\n", [row("r1", { a: "x" }), row("r2", { a: "b" })], "\r\n"],
  ["an LF file with a CRLF line pasted in", "_row_id,a\nr1,x\nr2,b\r\nr3,c\n", [row("r1", { a: "x" }), row("r2", { a: "b" }), row("r3", { a: "c" })], "\n"],
  [
    "quoted values holding \\r\\n and \\n, in both kinds of files",
    '_row_id,a\nr1,"one\r\ntwo"\r\nr2,"three\nfour"\nr3,"x"\r\n',
    [row("r1", { a: "one\r\ntwo" }), row("r2", { a: "three\nfour" }), row("r3", { a: "x" })],
    "\n",
  ],
  [
    "a CRLF file whose quoted value holds a bare \\n, then an LF line",
    '_row_id,a\r\nr1,"p\nq"\r\nr2,z\n',
    [row("r1", { a: "p\nq" }), row("r2", { a: "z" })],
    "\r\n",
  ],
  ["a lone \\r inside a cell (not a line ending)", "_row_id,a\r\nr1,x\ry\nr2,b\r\n", [row("r1", { a: "x\ry" }), row("r2", { a: "b" })], "\r\n"],
];

describe("mixed line endings", () => {
  for (const [name, text, rows, newline] of cases) {
    it(`parseCsv reads ${name}, and reports the first line's ending`, () => {
      const parsed = parseCsv(text, { source });
      expect(parsed.rows).toEqual(rows);
      expect(parsed.newline).toBe(newline);
    });
    it(`parseCsvStream reads ${name}, however the text is split`, async () => {
      for (const result of await streamedEverySplit(text)) expect(result).toEqual(rows);
    });
  }

  it("reads the part after a known header whichever ending it is told (catch-up reads of appended bytes)", () => {
    const tail = "r2,b\nr3,c\r\n";
    for (const newline of ["\n", "\r\n"] as const) {
      expect(parseCsv(tail, { source, header: ["_row_id", "a"], newline }).rows).toEqual([row("r2", { a: "b" }), row("r3", { a: "c" })]);
    }
  });

  it("round-trips any values whatever ending each line has", async () => {
    const value = fc.oneof(fc.string(), fc.constantFrom("\r\n", "\n", "\r", '"', '"\r\n"', ",\r", "a\r\nb"));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(value, fc.boolean()), { minLength: 1, maxLength: 8 }), async (cells) => {
        const rows = cells.map(([a], i) => row(`r${i}`, { a }));
        const header = headerFor(rows);
        let text = serializeRows(header, []);
        for (const [i, [, crlf]] of cells.entries()) text += encodeRecord(rows[i]!, header).map(quoteCell).join(",") + (crlf ? "\r\n" : "\n");
        expect(parseCsv(text, { source }).rows).toEqual(rows);
        const streamed: StoredRow[] = [];
        const chunks = text.match(/[\s\S]{1,3}/g)!;
        for await (const r of parseCsvStream(Readable.from(chunks), { source })) streamed.push(r);
        expect(streamed).toEqual(rows);
      }),
      { numRuns: 200 },
    );
  });
});
