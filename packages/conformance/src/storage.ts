import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, type Row, type StorageBackend, type StoredRow, type TableKind } from "@themis/core";

/**
 * Raw probes of what really reached the store, read without going through the backend
 * (the CSV file itself, the Redis keys, the S3 objects).
 */
export interface StorageOracle {
  /** Row ids of a table in stored order, or undefined when the table does not exist in the store. */
  rowIds(project: string, kind: TableKind, table: string): Promise<string[] | undefined>;
}

/** What a backend can do; tests for missing capabilities are skipped. */
export interface StorageCapabilities {
  /** Data survives closing the backend and creating a new one. Default true. */
  persistent?: boolean;
  /** Largest string value the backend must round-trip. Default 1 MiB. */
  largeValueBytes?: number;
}

export interface StorageSuiteOptions {
  /** Label shown in test names, usually the backend name. */
  name: string;
  /**
   * A new backend instance over the same store each time it is called (the suite calls
   * it again to check that data persists across close and reopen). Every test uses its own
   * project, with a random name, so the store need not be empty.
   */
  create: () => StorageBackend | Promise<StorageBackend>;
  oracle?: StorageOracle;
  capabilities?: StorageCapabilities;
  /** Skip the whole suite with this reason (e.g. the server is not running). */
  skip?: string | false;
  /** Per-test timeout in ms for slow stores. Default 30 s. */
  timeout?: number;
}

const tricky: Row[] = [
  { s: "plain" },
  { s: "" },
  { s: "1" },
  { s: "1.50" },
  { s: "-0" },
  { s: "true" },
  { s: "null" },
  { s: "'quoted'" },
  { s: "'" },
  { s: "=1+1" },
  { s: "+cmd" },
  { s: "@sum" },
  { s: "-" },
  { s: '{"a":1}' },
  { s: "[1,2]" },
  { s: 'say "hi", then leave' },
  { s: "line1\nline2\r\nline3\rend" },
  { s: "\ttabbed\t" },
  { s: "  spaced  " },
  { s: "ünïcödé 日本語 עברית" },
  { s: "emoji 🎉👩‍👩‍👧 done" },
  { s: "comma,semicolon;pipe|" },
  { s: "\\back\\slash" },
  { s: "\u2028\u2029" },
  { n: 0 },
  { n: 1 },
  { n: -17 },
  { n: 0.1 },
  { n: 3.141592653589793 },
  { n: 1e21 },
  { n: -2.5e-8 },
  { n: Number.MAX_SAFE_INTEGER },
  { b: true },
  { b: false },
  { z: null },
  { o: { nested: { deep: [1, "1", null, true, { x: [] }] }, empty: {} } },
  { a: [] },
  { a: [[1, 2], ["a", ["b"]], { k: "v" }] },
  {},
];

/**
 * Register the storage conformance suite with vitest. Call it from a test file:
 *
 * ```ts
 * import { storageSuite } from "@themis/conformance";
 * storageSuite({ name: "my-backend", create: () => myBackend.create({ ... }) });
 * ```
 */
export function storageSuite(options: StorageSuiteOptions): void {
  const caps = { persistent: true, largeValueBytes: 1024 * 1024, ...options.capabilities };
  const block = options.skip ? describe.skip : describe;
  const title = `storage conformance: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`;

  block(title, { timeout: options.timeout ?? 30_000 }, () => {
    let backend: StorageBackend;
    const made: string[] = [];
    const opened: Project[] = [];

    beforeAll(async () => {
      backend = await options.create();
    });
    afterAll(async () => {
      for (const p of opened) await p.close();
      const live = backend ? new Set(await backend.listProjects().catch(() => [])) : new Set<string>();
      for (const name of made) if (live.has(name)) await backend.deleteProject(name).catch(() => undefined);
      await backend?.close();
    });

    const uniqueName = (): string => `conf_${randomBytes(5).toString("hex")}`;
    const fresh = async (): Promise<Project> => {
      const name = uniqueName();
      made.push(name);
      const p = await Project.create(name, backend);
      opened.push(p);
      return p;
    };
    const ids = (rows: readonly StoredRow[]): string[] => rows.map((r) => r._row_id);
    const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = [];
      for await (const x of it) out.push(x);
      return out;
    };
    const expectCode = async (promise: Promise<unknown>, code: string): Promise<void> => {
      await expect(promise).rejects.toMatchObject({ code });
    };
    /** A second backend instance over the same store, to check persistence. */
    const reopen = async <T>(project: string, use: (p: Project) => Promise<T>): Promise<T> => {
      const other = await options.create();
      try {
        const p = await Project.open(project, other);
        try {
          return await use(p);
        } finally {
          await p.close();
        }
      } finally {
        await other.close();
      }
    };
    const oracleIds = async (project: Project, kind: TableKind, table: string): Promise<string[] | undefined> =>
      options.oracle?.rowIds(project.name, kind, table);

    describe("projects", () => {
      it("creates a project that listProjects shows", async () => {
        const p = await fresh();
        expect(await backend.listProjects()).toContain(p.name);
      });
      it("refuses to create a project that exists (ALREADY_EXISTS)", async () => {
        const p = await fresh();
        await expectCode(Project.create(p.name, backend), "ERR_THEMIS_ALREADY_EXISTS");
      });
      it("refuses to open a missing project (NOT_FOUND)", async () => {
        await expectCode(Project.open(uniqueName(), backend), "ERR_THEMIS_NOT_FOUND");
      });
      it("openOrCreate creates a missing project and opens an existing one with its tables", async () => {
        const name = uniqueName();
        made.push(name);
        const a = await Project.openOrCreate(name, backend);
        await (await a.createDataset("d")).append({ x: 1 });
        await a.close();
        const b = await Project.openOrCreate(name, backend);
        expect((await (await b.getDataset("d")).load()).map((r) => r.x)).toEqual([1]);
        await b.close();
      });
      it("deletes a project with its tables and leaves other projects alone", async () => {
        const doomed = await fresh();
        const kept = await fresh();
        await (await doomed.createDataset("d")).append({ x: 1 });
        await (await kept.createDataset("d")).append({ x: 2 });
        await backend.deleteProject(doomed.name);
        expect(await backend.listProjects()).not.toContain(doomed.name);
        await expectCode(Project.open(doomed.name, backend), "ERR_THEMIS_NOT_FOUND");
        expect((await (await kept.getDataset("d")).load()).map((r) => r.x)).toEqual([2]);
        if (options.oracle) expect(await oracleIds(doomed, "dataset", "d")).toBeUndefined();
      });
      it("refuses to delete a missing project (NOT_FOUND)", async () => {
        await expectCode(backend.deleteProject(uniqueName()), "ERR_THEMIS_NOT_FOUND");
      });
      it("keeps tables of different projects apart", async () => {
        const a = await fresh();
        const b = await fresh();
        await (await a.createDataset("same")).append({ who: "a" });
        await (await b.createDataset("same")).append({ who: "b" });
        expect((await (await a.getDataset("same")).load()).map((r) => r.who)).toEqual(["a"]);
        expect((await (await b.getDataset("same")).load()).map((r) => r.who)).toEqual(["b"]);
      });
    });

    describe("tables", () => {
      it("lists datasets and experiments sorted, each kind on its own", async () => {
        const p = await fresh();
        for (const n of ["b", "a", "c"]) await p.createDataset(n);
        await p.createExperiment("e2");
        await p.createExperiment("e1");
        expect(await p.listDatasets()).toEqual(["a", "b", "c"]);
        expect(await p.listExperiments()).toEqual(["e1", "e2"]);
      });
      it("keeps a dataset and an experiment of the same name apart", async () => {
        const p = await fresh();
        await (await p.createDataset("x")).append({ kind: "dataset" });
        await (await p.createExperiment("x")).append({ kind: "experiment" });
        expect((await (await p.getDataset("x")).load()).map((r) => r.kind)).toEqual(["dataset"]);
        expect((await (await p.getExperiment("x")).load()).map((r) => r.kind)).toEqual(["experiment"]);
      });
      it("starts a new table empty", async () => {
        const p = await fresh();
        const t = await p.createExperiment("empty");
        expect(await t.load()).toEqual([]);
        expect(await collect(t.entries())).toEqual([]);
        if (options.oracle) expect(await oracleIds(p, "experiment", "empty")).toEqual([]);
      });
      it("refuses to create a table that exists (ALREADY_EXISTS) and keeps its rows", async () => {
        const p = await fresh();
        await (await p.createDataset("d")).append({ keep: true });
        await expectCode(p.createDataset("d"), "ERR_THEMIS_ALREADY_EXISTS");
        expect((await (await p.getDataset("d")).load()).map((r) => r.keep)).toEqual([true]);
      });
      it("refuses to open a missing table (NOT_FOUND)", async () => {
        const p = await fresh();
        await expectCode(p.getDataset("nope"), "ERR_THEMIS_NOT_FOUND");
        await expectCode(p.getExperiment("nope"), "ERR_THEMIS_NOT_FOUND");
      });
      it("deletes a table and its rows", async () => {
        const p = await fresh();
        await (await p.createDataset("gone")).appendMany([{ a: 1 }, { a: 2 }]);
        await p.createDataset("stays");
        await p.deleteDataset("gone");
        expect(await p.listDatasets()).toEqual(["stays"]);
        await expectCode(p.getDataset("gone"), "ERR_THEMIS_NOT_FOUND");
        if (options.oracle) expect(await oracleIds(p, "dataset", "gone")).toBeUndefined();
        const again = await p.createDataset("gone");
        expect(await again.load()).toEqual([]);
      });
      it("refuses to delete a missing table (NOT_FOUND)", async () => {
        const p = await fresh();
        await expectCode(p.deleteExperiment("nope"), "ERR_THEMIS_NOT_FOUND");
      });
      it("accepts names with dots, dashes, spaces and unicode", async () => {
        const p = await fresh();
        const names = ["v1.2-final", "with space", "ünï_日本"];
        for (const n of names) await (await p.createDataset(n)).append({ n });
        expect(await p.listDatasets()).toEqual([...names].sort());
        for (const n of names) expect((await (await p.getDataset(n)).load())[0]?.n).toBe(n);
      });
    });

    describe("rows", () => {
      it("append returns the id that get and load show", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const id = await t.append({ q: "2+2?", a: "4" });
        expect(typeof id).toBe("string");
        expect(await t.get(id)).toEqual({ _row_id: id, q: "2+2?", a: "4" });
        expect(await t.load()).toEqual([{ _row_id: id, q: "2+2?", a: "4" }]);
      });
      it("appendMany returns ids in input order and keeps that order", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const rows = Array.from({ length: 25 }, (_, i) => ({ i }));
        const got = await t.appendMany(rows);
        const loaded = await t.load();
        expect(ids(loaded)).toEqual(got);
        expect(loaded.map((r) => r.i)).toEqual(rows.map((r) => r.i));
      });
      it("load() with maxLoadRows streams and fails with ERR_THEMIS_TOO_LARGE past the limit", async () => {
        const p = await fresh();
        const t = await p.createDataset("d", { maxLoadRows: 3 });
        const got = await t.appendMany([{ i: 0 }, { i: 1 }, { i: 2 }]);
        expect(ids(await t.load())).toEqual(got);
        await t.append({ i: 3 });
        await expect(t.load()).rejects.toMatchObject({ code: "ERR_THEMIS_TOO_LARGE" });
      });
      it("keeps the order of many single appends", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const got: string[] = [];
        for (let i = 0; i < 40; i++) got.push(await t.append({ i }));
        expect(ids(await t.load())).toEqual(got);
        if (options.oracle) expect(await oracleIds(p, "dataset", "d")).toEqual(got);
      });
      it("gives every row a unique id", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const got = await t.appendMany(Array.from({ length: 300 }, (_, i) => ({ i })));
        expect(new Set(got).size).toBe(300);
      });
      it("keeps a caller-provided _row_id", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        expect(await t.append({ _row_id: "my-id:1", v: 1 })).toBe("my-id:1");
        expect(await t.get("my-id:1")).toEqual({ _row_id: "my-id:1", v: 1 });
      });
      it("refuses to append a row whose _row_id exists (ALREADY_EXISTS), keeping the stored row and storing nothing of the batch", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        await t.appendMany([{ _row_id: "taken", v: 1 }, { _row_id: "other", v: 2 }]);
        await expectCode(t.append({ _row_id: "taken", v: "replaced?" }), "ERR_THEMIS_ALREADY_EXISTS");
        await expectCode(t.appendMany([{ _row_id: "fresh-1", v: 3 }, { _row_id: "other", v: "again" }]), "ERR_THEMIS_ALREADY_EXISTS");
        expect(await t.load()).toEqual([
          { _row_id: "taken", v: 1 },
          { _row_id: "other", v: 2 },
        ]);
        expect(await collect(t.entries())).toHaveLength(2);
        if (options.oracle) expect(await oracleIds(p, "dataset", "d")).toEqual(["taken", "other"]);
      });
      it("appendMany of nothing stores nothing", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        expect(await t.appendMany([])).toEqual([]);
        expect(await t.load()).toEqual([]);
      });
      it("get of a missing row is NOT_FOUND", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        await t.append({ x: 1 });
        await expectCode(t.get("missing-id"), "ERR_THEMIS_NOT_FOUND");
      });
      it("update replaces the row in place and leaves the others alone", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const [a, b, c] = await t.appendMany([{ v: "a" }, { v: "b", extra: 1 }, { v: "c" }]);
        await t.update(b!, { v: "B", added: [1, 2] });
        expect(await t.load()).toEqual([
          { _row_id: a, v: "a" },
          { _row_id: b, v: "B", added: [1, 2] },
          { _row_id: c, v: "c" },
        ]);
        if (options.oracle) expect(await oracleIds(p, "dataset", "d")).toEqual([a, b, c]);
      });
      it("update of a missing row is NOT_FOUND and changes nothing", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const id = await t.append({ v: 1 });
        await expectCode(t.update("missing-id", { v: 2 }), "ERR_THEMIS_NOT_FOUND");
        expect(await t.load()).toEqual([{ _row_id: id, v: 1 }]);
      });
      it("delete removes one row and keeps the order of the rest", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const [a, b, c] = await t.appendMany([{ v: 1 }, { v: 2 }, { v: 3 }]);
        await t.delete(b!);
        expect(ids(await t.load())).toEqual([a, c]);
        await expectCode(t.get(b!), "ERR_THEMIS_NOT_FOUND");
        if (options.oracle) expect(await oracleIds(p, "dataset", "d")).toEqual([a, c]);
        const d = await t.append({ v: 4 });
        expect(ids(await t.load())).toEqual([a, c, d]);
      });
      it("delete of a missing row is NOT_FOUND", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        await expectCode(t.delete("missing-id"), "ERR_THEMIS_NOT_FOUND");
      });
      it("entries() streams exactly what load() returns", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        await t.appendMany(Array.from({ length: 1500 }, (_, i) => ({ i, s: `row ${i}`, odd: i % 2 === 1 ? { i } : null })));
        await t.delete((await t.load())[10]!._row_id);
        const loaded = await t.load();
        expect(loaded).toHaveLength(1499);
        expect(await collect(t.entries())).toEqual(loaded);
        expect(await collect(t)).toEqual(loaded);
      });
      it("does not let callers change stored rows by mutating objects", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const input = { list: [1], obj: { k: "v" } };
        const id = await t.append(input);
        input.list.push(2);
        input.obj.k = "changed";
        const got = await t.get(id);
        (got.list as number[]).push(3);
        expect(await t.get(id)).toEqual({ _row_id: id, list: [1], obj: { k: "v" } });
      });
    });

    describe("exact JSON round-trip", () => {
      it("reads back every tricky value exactly, each row with its own keys", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const got = await t.appendMany(tricky);
        const loaded = await t.load();
        expect(loaded).toEqual(tricky.map((row, i) => ({ _row_id: got[i], ...row })));
        for (const [i, row] of loaded.entries()) expect(Object.keys(row).sort()).toEqual(["_row_id", ...Object.keys(tricky[i]!)].sort());
      });
      it("keeps strings and numbers apart: '1' vs 1, 'true' vs true, 'null' vs null", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const [a, b] = await t.appendMany([{ v: "1", w: "true", x: "null", y: "" }, { v: 1, w: true, x: null }]);
        const ra = await t.get(a!);
        const rb = await t.get(b!);
        expect(ra).toEqual({ _row_id: a, v: "1", w: "true", x: "null", y: "" });
        expect(typeof ra.v).toBe("string");
        expect(rb).toEqual({ _row_id: b, v: 1, w: true, x: null });
        expect(typeof rb.v).toBe("number");
        expect("y" in rb).toBe(false);
      });
      it("keeps null apart from a missing key, and false/0 apart from missing", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const [a, b] = await t.appendMany([{ k: null, f: false, z: 0 }, { other: 1 }]);
        expect(await t.get(a!)).toEqual({ _row_id: a, k: null, f: false, z: 0 });
        const rb = await t.get(b!);
        expect(Object.keys(rb).sort()).toEqual(["_row_id", "other"]);
      });
      it("round-trips keys with spaces, quotes, commas, unicode, formula characters and __proto__", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const row = { "a key": 1, 'q"uote': 2, "com,ma": 3, "ключ": 4, "=sum": 5, "new\nline": 6, "": 7 };
        const id = await t.append(row);
        expect(await t.get(id)).toEqual({ _row_id: id, ...row });
        // A "__proto__" key is data: it must neither vanish nor become the row's prototype.
        const proto = JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as Row;
        const pid = await t.append(proto);
        for (const got of [await t.get(pid), (await t.load()).find((r) => r._row_id === pid)!]) {
          expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
          expect(Object.keys(got).sort()).toEqual(["__proto__", "_row_id", "b"]);
          expect(JSON.stringify(got[Object.keys(got).find((k) => k === "__proto__")!])).toBe('{"polluted":true}');
        }
      });
      it("round-trips a large string value", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const big = "x,\"\n🎉".repeat(Math.floor(caps.largeValueBytes / 8)).slice(0, caps.largeValueBytes);
        const id = await t.append({ big, after: 1 });
        const row = await t.get(id);
        expect(row.big).toBe(big);
        expect(row.after).toBe(1);
      });
      it("round-trips values changed by update, including type changes", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const id = await t.append({ v: "1" });
        await t.update(id, { v: 1, w: { deep: ["1", 1] } });
        expect(await t.get(id)).toEqual({ _row_id: id, v: 1, w: { deep: ["1", 1] } });
        await t.update(id, { v: "1" });
        expect(await t.get(id)).toEqual({ _row_id: id, v: "1" });
      });
    });

    describe("validation before the backend", () => {
      const spy = (): { backend: StorageBackend; calls: string[] } => {
        const calls: string[] = [];
        const wrap = <T extends object>(target: T): T =>
          new Proxy(target, {
            get(obj, prop, receiver) {
              const value = Reflect.get(obj, prop, receiver) as unknown;
              if (typeof value !== "function") return value;
              return (...args: unknown[]) => {
                calls.push(String(prop));
                const out = (value as (...a: unknown[]) => unknown).apply(obj, args);
                return out instanceof Promise ? out.then((r) => (r && typeof r === "object" ? wrap(r) : r)) : out;
              };
            },
          });
        return { backend: wrap(backend), calls };
      };
      const unsafe = ["", "../x", "a/b", "a\\b", "..", "x\u0000y", "tab\tname", "CON", "nul.txt", ".hidden", "__internal", "x".repeat(129)];
      it("rejects unsafe project names (INVALID_NAME) before the backend is called", async () => {
        const s = spy();
        for (const name of unsafe) await expectCode(Project.create(name, s.backend), "ERR_THEMIS_INVALID_NAME");
        expect(s.calls).toEqual([]);
      });
      it("rejects unsafe table names (INVALID_NAME) before the backend is called", async () => {
        const name = uniqueName();
        made.push(name);
        const s = spy();
        const p = await Project.create(name, s.backend);
        s.calls.length = 0;
        for (const n of unsafe) {
          await expectCode(p.createDataset(n), "ERR_THEMIS_INVALID_NAME");
          await expectCode(p.getExperiment(n), "ERR_THEMIS_INVALID_NAME");
          await expectCode(p.deleteDataset(n), "ERR_THEMIS_INVALID_NAME");
        }
        expect(s.calls).toEqual([]);
        await p.close();
      });
      it("rejects rows that are not JSON (INVALID_ROW) and stores nothing of the batch", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const bad: unknown[] = [{ n: Number.NaN }, { d: new Date(0) }, { f: () => 1 }, { i: Infinity }, { b: 1n }, [1, 2], "str", null];
        for (const row of bad) await expectCode(t.appendMany([{ ok: 1 }, row as Row]), "ERR_THEMIS_INVALID_ROW");
        expect(await t.load()).toEqual([]);
      });
      it("rejects a row that fails the table's schema and stores nothing", async () => {
        const p = await fresh();
        const schema = {
          "~standard": {
            version: 1 as const,
            vendor: "conformance",
            validate: (v: unknown) =>
              typeof (v as { answer?: unknown }).answer === "string"
                ? { value: v as { answer: string } }
                : { issues: [{ message: "answer must be a string", path: ["answer"] }] },
          },
        };
        const t = await p.createDataset("d", { schema });
        await expect(t.append({ answer: 4 } as unknown as { answer: string })).rejects.toMatchObject({
          code: "ERR_THEMIS_INVALID_ROW",
          issues: [{ path: "answer", message: "answer must be a string" }],
        });
        await t.append({ answer: "4" });
        expect((await t.load()).map((r) => r.answer)).toEqual(["4"]);
      });
      it("rejects the same _row_id twice in one batch", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        await expectCode(t.appendMany([{ _row_id: "dup" }, { _row_id: "dup" }]), "ERR_THEMIS_INVALID_ROW");
        expect(await t.load()).toEqual([]);
      });
      it("refuses to work on a closed project (CLOSED)", async () => {
        const name = uniqueName();
        made.push(name);
        const p = await Project.create(name, backend);
        const t = await p.createDataset("d");
        await p.close();
        await expectCode(t.append({ x: 1 }), "ERR_THEMIS_CLOSED");
        await expectCode(p.listDatasets(), "ERR_THEMIS_CLOSED");
      });
    });

    describe("concurrency within one process", () => {
      it("loses nothing when many appends run at once", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const singles = Array.from({ length: 40 }, (_, i) => t.append({ i }));
        const batches = Array.from({ length: 5 }, (_, b) => t.appendMany(Array.from({ length: 20 }, (_, j) => ({ i: 100 + b * 20 + j }))));
        const got = [...(await Promise.all(singles)), ...(await Promise.all(batches)).flat()];
        const loaded = await t.load();
        expect(loaded).toHaveLength(140);
        expect(new Set(ids(loaded))).toEqual(new Set(got));
        expect(loaded.map((r) => r.i).sort((a, b) => Number(a) - Number(b))).toEqual([...Array.from({ length: 40 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 100 + i)]);
        // Rows of one batch stay together and in order.
        const pos = new Map(ids(loaded).map((id, i) => [id, i]));
        for (let b = 0; b < 5; b++) {
          const batchIds = got.slice(40 + b * 20, 60 + b * 20);
          const positions = batchIds.map((id) => pos.get(id)!);
          expect(positions).toEqual([...positions].sort((x, y) => x - y));
        }
      });
      it("applies concurrent updates and deletes of different rows", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const got = await t.appendMany(Array.from({ length: 30 }, (_, i) => ({ i })));
        await Promise.all(got.map((id, i) => (i % 3 === 0 ? t.delete(id) : t.update(id, { i, updated: true }))));
        const loaded = await t.load();
        expect(loaded).toHaveLength(20);
        expect(loaded.every((r) => r.updated === true)).toBe(true);
        expect(ids(loaded)).toEqual(got.filter((_, i) => i % 3 !== 0));
      });
    });

    describe.skipIf(!caps.persistent)("persistence", () => {
      it("keeps projects, tables, rows and ids across close and reopen", async () => {
        const p = await fresh();
        const d = await p.createDataset("d");
        const got = await d.appendMany(tricky);
        const e = await p.createExperiment("e");
        const eid = await e.append({ result: 1 });
        const before = await d.load();
        await reopen(p.name, async (q) => {
          expect(await q.listDatasets()).toEqual(["d"]);
          expect(await q.listExperiments()).toEqual(["e"]);
          const after = await (await q.getDataset("d")).load();
          expect(after).toEqual(before);
          expect(ids(after)).toEqual(got);
          expect(await (await q.getExperiment("e")).get(eid)).toEqual({ _row_id: eid, result: 1 });
        });
      });
      it("keeps updates and deletes across close and reopen", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        const [a, b, c] = await t.appendMany([{ v: 1 }, { v: 2 }, { v: 3 }]);
        await t.update(a!, { v: "one" });
        await t.delete(b!);
        await reopen(p.name, async (q) => {
          expect(await (await q.getDataset("d")).load()).toEqual([
            { _row_id: a, v: "one" },
            { _row_id: c, v: 3 },
          ]);
        });
      });
      it("sees rows appended through another backend instance", async () => {
        const p = await fresh();
        const t = await p.createDataset("d");
        await t.append({ from: "first" });
        await reopen(p.name, async (q) => {
          await (await q.getDataset("d")).append({ from: "second" });
        });
        expect((await t.load()).map((r) => r.from)).toEqual(["first", "second"]);
      });
    });
  });
}
