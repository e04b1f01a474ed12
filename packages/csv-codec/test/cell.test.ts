import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonValue } from "@themis/core";
import { decodeCell, decodeHeaderCell, encodeCell, encodeHeaderCell } from "../src/index.js";

describe("encodeCell / decodeCell", () => {
  it.each<[JsonValue | undefined, string]>([
    [undefined, ""],
    ["plain", "plain"],
    ["hello world", "hello world"],
    ["", "'"],
    ["'", "''"],
    ["'quoted'", "''quoted'"],
    ["1", "'1"],
    [" 1", "' 1"],
    ["1.50", "'1.50"],
    ["true", "'true"],
    ["null", "'null"],
    ['{"a":1}', `'{"a":1}`],
    ["[1,2]", "'[1,2]"],
    ["=1+1", "'=1+1"],
    ["+cmd", "'+cmd"],
    ["-", "'-"],
    ["@sum", "'@sum"],
    ["\ttab", "'\ttab"],
    ["\rcr", "'\rcr"],
    ["{not json", "{not json"],
    ["nullish", "nullish"],
    [1, "1"],
    [-17, "-17"],
    [0.1, "0.1"],
    [1e21, "1e+21"],
    [true, "true"],
    [false, "false"],
    [null, "null"],
    [{ a: [1, "1"] }, '{"a":[1,"1"]}'],
    [[], "[]"],
  ])("encodes %j as %j and back", (value, cell) => {
    expect(encodeCell(value)).toBe(cell);
    expect(decodeCell(cell)).toEqual(value);
  });

  it("reads cells typed by hand in a spreadsheet as strings when they are not JSON", () => {
    expect(decodeCell("hello")).toBe("hello");
    expect(decodeCell("=SUM(A1:A2)")).toBe("=SUM(A1:A2)");
    expect(decodeCell("1,5")).toBe("1,5");
    expect(decodeCell("42")).toBe(42);
    expect(decodeCell("{broken")).toBe("{broken");
  });

  it("never writes a cell a spreadsheet would evaluate as a formula", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const cell = encodeCell(s);
        expect(/^[=+@\t\r]/.test(cell)).toBe(false);
        if (cell.startsWith("-")) expect(s).not.toBe(cell); // only a number could start with "-", never a string
      }),
    );
  });

  it("round-trips any JSON value exactly", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const v = value as JsonValue;
        // -0 has no JSON text of its own: JSON itself writes it as 0.
        const expected = JSON.parse(JSON.stringify(v)) as JsonValue;
        expect(decodeCell(encodeCell(v))).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("round-trips strings that look like other things", () => {
    const tricky = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => ` ${JSON.stringify(v)} `),
      fc.constantFrom("'", "''", "=", "+", "-", "@", "\t", "\r", "\n", " ", "", "1e5", "-0", "NaN", "Infinity", "undefined"),
      fc.tuple(fc.constantFrom("'", "=", "+", "-", "@", "\t", "\r", " ", "{", "["), fc.string()).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(tricky, (s) => {
        expect(decodeCell(encodeCell(s))).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("encodeHeaderCell / decodeHeaderCell", () => {
  it("round-trips any column name and guards formula characters", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom("", "'", "=sum", "@x", "-", "1", "_row_id")), (name) => {
        const cell = encodeHeaderCell(name);
        expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
        expect(cell).not.toBe("");
        expect(decodeHeaderCell(cell)).toBe(name);
      }),
    );
  });
  it("writes ordinary names as they are (Ragas-compatible headers)", () => {
    expect(encodeHeaderCell("_row_id")).toBe("_row_id");
    expect(encodeHeaderCell("question")).toBe("question");
    expect(encodeHeaderCell("1")).toBe("1");
  });
});

describe("decodeCell fast paths", () => {
  it("decode exactly as JSON.parse would (or keep the text when JSON.parse fails)", () => {
    const reference = (cell: string): unknown => {
      if (cell === "" || cell.startsWith("'")) return decodeCell(cell);
      try {
        return JSON.parse(cell);
      } catch {
        return cell;
      }
    };
    const numberish = fc.stringMatching(/^-?[0-9]{0,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{0,3})?[ \t\n\r]{0,2}[a-z]?$/);
    const literalish = fc
      .tuple(fc.constantFrom("true", "false", "null", "tru", "nul", "note", "falsey"), fc.constantFrom("", " ", "\n", "\t ", "x", " x"))
      .map(([a, b]) => a + b);
    fc.assert(
      fc.property(
        fc.oneof(
          numberish,
          literalish,
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (cell) => {
          expect(decodeCell(cell)).toEqual(reference(cell));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
