import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Project, type StoredRow, memoryBackend, toJsonRow } from "../src/index.js";
import { copyJsonRow, isExactJsonRow } from "../src/rows.js";
import { appendOwned } from "../src/storage/table.js";
import { wrappedStorage } from "./wrapped-storage.js";

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
const withProtoKey = JSON.parse('{"__proto__": {"x": 1}, "b": [1, {"c": null}]}') as unknown;
const inherited = Object.create({ extra: 1 }) as Record<string, unknown>;
inherited.a = 1;

/** Values the copy keeps exactly, and values it changes or refuses. */
const exact: unknown[] = [
  {},
  { a: 1, b: "x", c: true, d: null, e: [1, [2, { f: "g" }]], h: { i: -0 } },
  Object.assign(Object.create(null), { a: 1 }),
  withProtoKey,
];
const notExact: unknown[] = [
  { a: undefined },
  { a: [1, undefined] },
  // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
  { a: [1, , 3] },
  { a: Number.NaN },
  { a: Infinity },
  { a: new Date(0) },
  { a: 1n },
  { a: () => 1 },
  { a: "\ud800" },
  { "\udc00": 1 },
  { a: new Map() },
  cyclic,
  inherited,
  [1],
  null,
  "s",
];

describe("isExactJsonRow", () => {
  it("is true exactly for rows the JSON copy reproduces unchanged (same keys, same order)", () => {
    for (const value of exact) {
      expect(isExactJsonRow(value)).toBe(true);
      expect(JSON.stringify(toJsonRow(value))).toBe(JSON.stringify(value));
      expect(Object.keys(toJsonRow(value))).toEqual(Object.keys(value as object));
    }
    for (const value of notExact) expect(isExactJsonRow(value)).toBe(false);
  });

  it("the copy of an exact row (its fast path) is deep, keeps `__proto__` as a key, and an id key in front", () => {
    const value = { a: { b: [1, { c: "d" }] }, e: "f" };
    const copy = toJsonRow(value) as typeof value;
    expect(copy).toEqual(value);
    expect(copy.a).not.toBe(value.a);
    expect(copy.a.b).not.toBe(value.a.b);
    expect(copy.a.b[1]).not.toBe(value.a.b[1]);
    const proto = toJsonRow(withProtoKey);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.hasOwn(proto, "__proto__")).toBe(true);
    expect(JSON.stringify(proto)).toBe(JSON.stringify(withProtoKey));
    expect(Object.keys(copyJsonRow({ x: 1, _row_id: "i" }, { _row_id: null }))).toEqual(["_row_id", "x"]);
  });

  it("is false beyond the copy's depth limit (the copy then reports it)", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = { d: deep };
    expect(isExactJsonRow(deep)).toBe(false);
    expect(() => toJsonRow(deep)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_ROW" }));
  });
});

describe("Table: appends of rows core builds (results, claims)", () => {
  async function openTable() {
    const project = await Project.create(`owned-${Math.random().toString(36).slice(2)}`, memoryBackend);
    return { project, table: await project.createDataset("t") };
  }

  it("stores exact rows as given and reports a bad row with appendMany's error", async () => {
    const { project, table } = await openTable();
    const rows = [
      { _row_id: "r-1", status: "ok", output: { answer: [1, 2] } },
      { _row_id: "r-2", status: "ok", output: null },
    ] as StoredRow[];
    expect(await table[appendOwned](rows)).toEqual(["r-1", "r-2"]);
    expect(await table.load()).toEqual(rows);
    for (const bad of [{ _row_id: "r-3", when: new Date(0) }, { _row_id: "r 3" }, { _row_id: "r-3", n: Number.NaN }]) {
      const viaAppendMany = await table.appendMany([bad as never]).catch((error: unknown) => error);
      const viaOwned = await table[appendOwned]([bad as StoredRow]).catch((error: unknown) => error);
      expect(viaOwned).toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
      expect(viaOwned).toEqual(viaAppendMany);
      expect((viaOwned as Error).message).toBe((viaAppendMany as Error).message);
    }
    await expect(table[appendOwned]([rows[0] as StoredRow, { ...rows[0] } as StoredRow])).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
    // A row whose id is not its first key is copied with the id first, as appendMany does.
    await table[appendOwned]([{ status: "late", _row_id: "r-4" } as unknown as StoredRow]);
    expect(Object.keys(await table.get("r-4"))).toEqual(["_row_id", "status"]);
    expect((await table.load()).map((r) => r._row_id)).toEqual(["r-1", "r-2", "r-4"]);
    await project.close();
  });

  it("appendMany still refuses a repeated given id, and gives generated ids that differ", async () => {
    const { project, table } = await openTable();
    await expect(table.appendMany([{ _row_id: "a", v: 1 }, { v: 2 }, { _row_id: "a", v: 3 }])).rejects.toThrow('_row_id "a" appears twice in one batch');
    const ids = await table.appendMany(Array.from({ length: 1000 }, (_, v) => ({ v })));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await project.close();
  });

  it("a result row shares no object with the task (its scores, the dataset row's nested values)", async () => {
    // Record the row objects the backend receives: a backend may keep them (a write queue).
    const received: StoredRow[] = [];
    const storage = wrappedStorage("owned", (table, store) =>
      table === "e"
        ? {
            ...store,
            append: async (rows) => {
              received.push(...rows);
              return store.append(rows);
            },
          }
        : store,
    );
    const project = await Project.create("owned-run", storage);
    const dataset = await project.createDataset("qa");
    await dataset.append({ _row_id: "q1", question: { text: "2+2" }, n: 1 });
    const kept: { scores?: { exact: boolean }; row?: { question: { text: string } } } = {};
    await project.runExperiment({
      dataset: "qa",
      experiment: "e",
      task: async (row: { question: { text: string } }) => {
        kept.row = row;
        kept.scores = { exact: true };
        return { output: 4, scores: kept.scores };
      },
    });
    if (!kept.scores || !kept.row) throw new Error("the task did not run");
    const [result] = received as (StoredRow & { scores: object; input: { question: object } })[];
    expect(result).toMatchObject({ dataset_row_id: "q1", output: 4, scores: { exact: true }, input: { question: { text: "2+2" }, n: 1 } });
    expect(result?.scores).not.toBe(kept.scores);
    expect(result?.input.question).not.toBe(kept.row.question);
    await project.close();
  });

  it("a result row's input is the dataset row without its id, a `__proto__` field kept as a field", async () => {
    const project = await Project.create("input-run", "memory", { namespace: `input-${randomUUID()}` });
    const dataset = await project.createDataset("qa");
    await dataset.append(JSON.parse('{"_row_id": "q1", "__proto__": {"x": 1}, "flat": "a", "n": 2}'));
    await project.runExperiment({ dataset: "qa", experiment: "e", task: async () => 1 });
    const [result] = (await (await project.getExperiment("e")).load()) as (StoredRow & { input: Record<string, unknown> })[];
    expect(Object.keys(result!.input)).toEqual(["__proto__", "flat", "n"]);
    expect(Object.hasOwn(result!.input, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(result!.input)).toBe(Object.prototype);
    expect(result!.input.__proto__).toEqual({ x: 1 });
    await project.close();
  });

  it("a row-failed event's error is a copy: a listener changing it changes nothing stored", async () => {
    const received: StoredRow[] = [];
    const storage = wrappedStorage("owned-events", (table, store) =>
      table === "e"
        ? {
            ...store,
            append: async (rows) => {
              received.push(...rows);
              return store.append(rows);
            },
          }
        : store,
    );
    const project = await Project.create("owned-events", storage);
    const dataset = await project.createDataset("qa");
    await dataset.append({ _row_id: "q1", n: 1 });
    await project.runExperiment({
      dataset: "qa",
      experiment: "e",
      task: async () => {
        throw new Error("boom");
      },
      onEvent: (event) => {
        if (event.type === "row-failed") (event.error as { message: string }).message = "changed by a listener";
      },
    });
    const [result] = received as (StoredRow & { error: { message: string } })[];
    expect(result?.status).toBe("error");
    expect(result?.error.message).toContain("boom");
    await project.close();
  });
});
