import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonValue, Row, StoredRow } from "@themis/core";
import Papa from "papaparse";
import { CsvFormatError, encodeHeaderCell, encodeRecord, headerFor, parseCsv, parseCsvStream, serializeRows, type CsvProblem } from "../src/index.js";

const source = "test.csv";

async function collect(text: string, chunkSize = 7, options: { detectDuplicateIds?: boolean } = {}): Promise<StoredRow[]> {
  // Split the bytes (not the characters) so multi-byte characters straddle chunk boundaries.
  const bytes = Buffer.from(text, "utf8");
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const out: StoredRow[] = [];
  for await (const row of parseCsvStream(Readable.from(chunks), { source, ...options })) out.push(row);
  return out;
}

function expectCsvError(fn: () => unknown, problem: CsvProblem, line: number): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CsvFormatError);
    expect(error).toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", problem, line, source });
    expect((error as Error).message).toContain(`${source}, line ${line}`);
    return;
  }
  throw new Error("expected a CsvFormatError");
}

async function expectStreamError(text: string, problem: CsvProblem, line: number): Promise<void> {
  await expect(collect(text, 5, { detectDuplicateIds: true })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", problem, line, source });
}

const row = (id: string, rest: Row = {}): StoredRow => ({ _row_id: id, ...rest }) as StoredRow;

describe("headerFor", () => {
  it("puts _row_id first, then keys in order of first appearance", () => {
    expect(
      headerFor([
        { b: 1, a: 2 },
        { c: 3, a: 4 },
      ]),
    ).toEqual(["_row_id", "b", "a", "c"]);
    expect(headerFor([{ _row_id: "x", z: 1 }])).toEqual(["_row_id", "z"]);
  });
  it("returns the same array when no row adds a column", () => {
    const existing = ["_row_id", "a", "b"];
    expect(headerFor([{ a: 1 }, { b: 2 }, {}], existing)).toBe(existing);
    expect(headerFor([{ c: 1 }], existing)).toEqual(["_row_id", "a", "b", "c"]);
  });
});

describe("serializeRows / parseCsv", () => {
  it("writes a spreadsheet-readable file: _row_id first, plain cells, \\n endings, final newline", () => {
    const rows = [row("r1", { question: "2+2?", answer: "4", score: 4, ok: true }), row("r2", { question: "=cmd", extra: null })];
    const text = serializeRows(headerFor(rows), rows);
    expect(text).toBe("_row_id,question,answer,score,ok,extra\nr1,2+2?,'4,4,true,\nr2,'=cmd,,,,null\n");
    expect(parseCsv(text, { source })).toEqual({ header: ["_row_id", "question", "answer", "score", "ok", "extra"], rows, newline: "\n" });
  });

  it("appends: rows serialized without header concatenate to a valid file", () => {
    const header = ["_row_id", "a"];
    const text = serializeRows(header, [row("1", { a: 1 })]) + serializeRows(header, [row("2", { a: "x" })], { includeHeader: false });
    expect(parseCsv(text, { source }).rows).toEqual([row("1", { a: 1 }), row("2", { a: "x" })]);
  });

  it("reads an empty text as an empty table", () => {
    expect(parseCsv("", { source })).toEqual({ header: ["_row_id"], rows: [], newline: "\n" });
  });

  it("reads files with CRLF line endings (saved by a spreadsheet) and skips blank lines", () => {
    const text = '_row_id,a,b\r\n1,hello,"multi\r\nline"\r\n\r\n2,3,\r\n';
    const parsed = parseCsv(text, { source });
    expect(parsed.newline).toBe("\r\n");
    expect(parsed.rows).toEqual([row("1", { a: "hello", b: "multi\r\nline" }), row("2", { a: 3 })]);
  });

  it("round-trips keys that need quoting or a marker, including '' and __proto__", () => {
    const r = JSON.parse('{"_row_id":"x","a key":1,"q\\"uote":2,"com,ma":3,"=sum":4,"new\\nline":5,"":6,"\'":7,"__proto__":{"p":1}}') as StoredRow;
    const text = serializeRows(headerFor([r]), [r]);
    const back = parseCsv(text, { source }).rows[0]!;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(JSON.stringify(back)).toBe(JSON.stringify(r));
  });

  it("round-trips arbitrary heterogeneous rows exactly, through text and through a stream", async () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("", "'", "=x", "a,b", 'q"', "n\nl", " sp "));
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string(),
      fc.constantFrom("", "'", "1", " 1", "true", "null", "-", "=1", "\r\n", '"', '""', ",", "\u2028", "🎉👩‍👩‍👧"),
    );
    const rows = fc.array(
      fc.dictionary(
        key.filter((k) => k !== "_row_id"),
        value,
        { maxKeys: 5 },
      ),
      { maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(rows, async (input) => {
        const stored = input.map((r, i) => ({ _row_id: `id-${i}`, ...(JSON.parse(JSON.stringify(r)) as Row) }) as StoredRow);
        const text = serializeRows(headerFor(stored), stored);
        // Keys come back in column order; compare a canonical form that also tells "1" from 1.
        const canonical = (rs: readonly StoredRow[]): string[] =>
          rs.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
        expect(canonical(parseCsv(text, { source }).rows)).toEqual(canonical(stored));
        expect(canonical(await collect(text, 3))).toEqual(canonical(stored));
      }),
      { numRuns: 200 },
    );
  });

  it("writes exactly what papaparse's unparse writes for the same cells", () => {
    const cell = fc.oneof(fc.string(), fc.constantFrom("", " ", " a", "a ", '"', "a,b", "\r", "\n", "\ufeffbom", "'x", "=1"));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { maxLength: 8 }), (table) => {
        const header = ["_row_id", "a", "b"];
        const rows = table.map((cells, i) => ({ _row_id: `r${i}`, a: cells[1]!, b: cells[2]! }) as StoredRow);
        const expected = `${Papa.unparse([header.map(encodeHeaderCell), ...rows.map((r) => encodeRecord(r, header))], { newline: "\r\n" })}\r\n`;
        expect(serializeRows(header, rows, { newline: "\r\n" })).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("writes exactly what papaparse's unparse writes for encodeRecord's cells, for any JSON values and missing keys", () => {
    // serializeRows encodes a record in one pass (numbers, booleans, plain words without the
    // intermediate cells): it must stay byte-identical to the two-step path.
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string(),
      fc.double(),
      fc.constantFrom(-0, 1e21, 1e-7, Number.NaN, "", "'", "a", "Zed, Inc.", "t", "true ", "nope", "fx", "[1]", " 1", "=1", "\tx", "word "),
    );
    const header = ["a", "_row_id", "b", "c"];
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value, fc.option(value, { nil: undefined })), { maxLength: 8 }), (table) => {
        const rows = table.map(([a, b, c], i) => ({ a, _row_id: `r${i}`, b, ...(c === undefined ? {} : { c }) }) as StoredRow);
        const expected = `${Papa.unparse([header.map(encodeHeaderCell), ...rows.map((r) => encodeRecord(r, header))], { newline: "\n" })}\n`;
        expect(serializeRows(header, rows)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps strings and numbers apart in a spreadsheet-looking file", () => {
    const rows = [row("a", { v: "1", w: 1, x: "true", y: true, z: "null", n: null, e: "" })];
    const back = parseCsv(serializeRows(headerFor(rows), rows), { source }).rows[0] as Record<string, JsonValue>;
    expect(back).toEqual(rows[0]);
    expect(typeof back.v).toBe("string");
    expect(typeof back.w).toBe("number");
  });
});

describe("malformed input names the source and the line", () => {
  const cases: [string, string, CsvProblem, number][] = [
    ["unclosed quote", '_row_id,a\n1,x\n2,"never closed\n3,y\n', "unclosed-quote", 3],
    ["text after a closing quote", '_row_id,a\n1,"x"y\n', "malformed-quote", 2],
    ["more cells than the header", "_row_id,a\n1,x\n2,y,z\n", "too-many-cells", 3],
    ["fewer cells than the header", "_row_id,a,b\n1,x,y\n2,y\n", "too-few-cells", 3],
    ["empty _row_id", "_row_id,a\n1,x\n,y\n", "missing-row-id", 3],
    ["duplicate _row_id", "_row_id,a\n1,x\n2,y\n1,z\n", "duplicate-row-id", 4],
    ["no _row_id column", "id,a\n1,x\n", "bad-header", 1],
    ["duplicate column", "_row_id,a,a\n1,x,y\n", "bad-header", 1],
    ["torn last line", "_row_id,a\n1,x\n2,hal", "torn-line", 3],
    ["torn inside a quoted multi-line cell", '_row_id,a\n1,"two\nlines"\n2,"cut\nhere', "unclosed-quote", 4],
    ["torn header", "_row_id,a", "torn-line", 1],
    ["line numbers count newlines inside quoted cells", '_row_id,a\n1,"l1\nl2\nl3"\n2,x,extra\n', "too-many-cells", 5],
  ];
  it.each(cases)("%s", async (_what, text, problem, line) => {
    expectCsvError(() => parseCsv(text, { source }), problem, line);
    await expectStreamError(text, problem, line);
  });

  it("a stream yields the rows before the bad line, then throws", async () => {
    const seen: StoredRow[] = [];
    const run = async (): Promise<void> => {
      for await (const r of parseCsvStream(Readable.from(["_row_id,a\n1,x\n2,y\n3,z,extra\n"]), { source })) seen.push(r);
    };
    await expect(run()).rejects.toMatchObject({ problem: "too-many-cells", line: 4 });
    expect(seen.map((r) => r._row_id)).toEqual(["1", "2"]);
  });
});

describe("parseCsvStream", () => {
  it("streams a large file in order and can be stopped early", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(`r${i}`, { i, s: `v,${i}\n"q"` }));
    const text = serializeRows(headerFor(rows), rows);
    expect(await collect(text, 4096)).toEqual(rows);
    let n = 0;
    for await (const r of parseCsvStream(Readable.from([Buffer.from(text)]), { source })) {
      expect(r._row_id).toBe(`r${n}`);
      if (++n === 10) break;
    }
    expect(n).toBe(10);
  });

  it("reads its input only as fast as the consumer takes rows (memory stays flat)", async () => {
    const total = 20_000;
    let pulled = 0;
    async function* lines(): AsyncGenerator<string> {
      yield "_row_id,v\n";
      for (let i = 0; i < total; i++) {
        pulled++;
        yield `r${i},${i}\n`;
      }
    }
    const rows = parseCsvStream(lines(), { source });
    expect((await rows.next()).value).toEqual({ _row_id: "r0", v: 0 });
    // Give the parser every chance to run ahead while the consumer waits.
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThan(total / 4);
    let n = 1;
    for await (const _ of rows) n++;
    expect(n).toBe(total);
    expect(pulled).toBe(total);
  });

  it("reports the header before the first row, and an empty input as an empty table", async () => {
    let header: readonly string[] | undefined;
    for await (const _ of parseCsvStream(Readable.from(["_row_id,a\n"]), { source, onHeader: (h) => (header = h) })) throw new Error("no rows expected");
    expect(header).toEqual(["_row_id", "a"]);
    expect(await collect("")).toEqual([]);
  });
});

describe("parseCsvStream input errors", () => {
  it("passes an input error on as it is (it is not a CSV problem)", async () => {
    const boom = new Error("disk on fire");
    async function* failing(): AsyncGenerator<string> {
      yield "_row_id,a\nr1,1\n";
      throw boom;
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const row of parseCsvStream(failing(), { source })) seen.push(row._row_id);
      })(),
    ).rejects.toBe(boom);
  });
});

describe("large inputs (parsed in several chunks)", () => {
  it("keeps line numbers right across chunk boundaries", async () => {
    let text = "_row_id,a\n";
    for (let i = 0; i < 100_000; i++) text += `r${i},${i % 7 === 0 ? '"multi\nline"' : "x".repeat(20)}\n`;
    const lines = text.split("\n").length - 1;
    expect(parseCsv(text, { source }).rows).toHaveLength(100_000);
    expectCsvError(() => parseCsv(`${text}r-extra,1,surplus\nr-last,1\n`, { source }), "too-many-cells", lines + 1);
    expectCsvError(() => parseCsv(`${text}r-open,"never closed\nr-last,1\n`, { source }), "unclosed-quote", lines + 1);
    expectCsvError(() => parseCsv(text.slice(0, -3), { source }), "torn-line", lines);
    await expectStreamError(`${text}r-extra,1,surplus\n`, "too-many-cells", lines + 1);
  });
});

describe("a UTF-8 byte order mark", () => {
  it("is skipped alike by parseCsv and parseCsvStream (one reader, one behaviour)", async () => {
    const text = "\uFEFF_row_id,a\nr1,1\nr2,x\n";
    const expected = [
      { _row_id: "r1", a: 1 },
      { _row_id: "r2", a: "x" },
    ];
    expect(parseCsv(text, { source }).header).toEqual(["_row_id", "a"]);
    expect(parseCsv(text, { source }).rows).toEqual(expected);
    expect(await collect(text, 1)).toEqual(expected); // the mark's 3 bytes split over chunks
    expect(await collect(text, 64)).toEqual(expected);
  });
});
