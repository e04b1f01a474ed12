import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Project, type Row, memoryBackend, toJsonRow, validateRowId } from "../src/index.js";

describe("toJsonRow", () => {
  it("deep-copies plain JSON and drops undefined keys like JSON.stringify", () => {
    const input = { a: 1, b: undefined, c: { d: [1, undefined, "x"] } };
    const out = toJsonRow(input);
    expect(out).toEqual({ a: 1, c: { d: [1, null, "x"] } });
    expect(out.c).not.toBe(input.c);
  });

  it("a row that needs the full copy deep in it comes out whole, its keys in order (the one-pass copy starts over)", async () => {
    const input = { a: 1, b: { c: [1, 2], d: { e: "x", f: undefined }, g: 3 }, h: [{ i: undefined, j: true }] };
    const out = toJsonRow(input);
    expect(JSON.stringify(out)).toBe('{"a":1,"b":{"c":[1,2],"d":{"e":"x"},"g":3},"h":[{"j":true}]}');
    const table = await (await Project.create("copy", memoryBackend)).createDataset("t");
    const [id] = await table.appendMany([{ x: 1, _row_id: "late", y: { z: undefined, w: 2 } } as unknown as Row]);
    expect(id).toBe("late");
    expect(JSON.stringify(await table.get("late"))).toBe('{"_row_id":"late","x":1,"y":{"w":2}}');
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

describe("rows as a table stores them", () => {
  const table = async () => {
    const project = await Project.create("rows", await memoryBackend.create({ namespace: `rows-${randomUUID()}` }));
    return project.createDataset("d");
  };

  it("puts _row_id first, keeps the other keys in order, and copies the row", async () => {
    const t = await table();
    const input = { a: 1, _row_id: "mine", b: { c: [1] } };
    await t.append(input);
    const stored = await t.get("mine");
    expect(Object.keys(stored!)).toEqual(["_row_id", "a", "b"]);
    expect(stored).toEqual({ _row_id: "mine", a: 1, b: { c: [1] } });
    input.b.c.push(2); // the caller's object is not what was stored
    expect((await t.get("mine"))!.b).toEqual({ c: [1] });
  });

  it("gives a new id when _row_id is absent or undefined, and refuses null or a non-string", async () => {
    const t = await table();
    const [fresh, undef] = await t.appendMany([{ v: 1 }, { _row_id: undefined as never, v: 2 }]); // undefined, as JavaScript callers can pass
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
    expect(undef).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys((await t.get(undef!))!)).toEqual(["_row_id", "v"]);
    for (const bad of [null, 5, ""]) {
      await expect(t.append({ _row_id: bad as never, v: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
    }
    expect(await t.load()).toHaveLength(2);
  });

  it("update keeps the id in front and refuses a different _row_id in the row", async () => {
    const t = await table();
    const id = await t.append({ v: 1 });
    await t.update(id, { v: 2, _row_id: id });
    expect(Object.keys((await t.get(id))!)).toEqual(["_row_id", "v"]);
    await expect(t.update(id, { _row_id: "other", v: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
    expect(await t.get(id)).toEqual({ _row_id: id, v: 2 });
  });
});
