import { describe, expect, it } from "vitest";
import { toJsonRow, validateRowId } from "../src/index.js";

describe("toJsonRow", () => {
  it("deep-copies plain JSON and drops undefined keys like JSON.stringify", () => {
    const input = { a: 1, b: undefined, c: { d: [1, undefined, "x"] } };
    const out = toJsonRow(input);
    expect(out).toEqual({ a: 1, c: { d: [1, null, "x"] } });
    expect(out.c).not.toBe(input.c);
  });

  it("lists every offending path", () => {
    let error: unknown;
    try {
      toJsonRow({ n: Number.NaN, nested: { when: new Date(0), list: [1, Infinity] }, f: () => 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
    const paths = (error as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["f", "n", "nested.list[1]", "nested.when"]);
    expect(String((error as Error).message)).toContain("toISOString");
  });

  it("rejects cycles (as too deep), class instances, non-objects", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [cyclic, { m: new Map() }, [1], null, "s", 1]) {
      expect(() => toJsonRow(bad)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_ROW" }));
    }
  });

  it("accepts objects with a null prototype and shared (non-cyclic) references", () => {
    const shared = { v: 1 };
    const bare = Object.assign(Object.create(null) as object, { k: "v" });
    expect(toJsonRow({ a: shared, b: shared, bare })).toEqual({ a: { v: 1 }, b: { v: 1 }, bare: { k: "v" } });
  });

  it('keeps a "__proto__" key as data, never as the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const out = toJsonRow(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});

describe("validateRowId", () => {
  it.each(["", "a/b", "has space", "x".repeat(201), 5, null])("rejects %j", (id) => {
    expect(() => validateRowId(id)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_ROW" }));
  });
  it.each(["abc", "2f1c-uuid", "run:1.2_x"])("accepts %j", (id) => {
    expect(() => validateRowId(id)).not.toThrow();
  });
});
