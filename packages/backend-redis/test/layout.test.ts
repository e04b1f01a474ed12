import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, type StorageBackend } from "@themis/core";
import { KeyLayout, LAYOUT_VERSION } from "../src/index.js";
import { createProjectScript, createTableScript, deleteProjectScript, deleteRowScript, deleteTableScript, updateScript } from "../src/scripts.js";
import { createBackend, dropPrefix, keysWithPrefix, rawClient, redisAvailable, uniquePrefix } from "./support/env.js";

describe.skipIf(!redisAvailable)("key layout and write safety", () => {
  const prefix = uniquePrefix("layout");
  const layout = new KeyLayout(prefix);
  const raw = rawClient();
  let backend: StorageBackend;
  let n = 0;
  const fresh = async (): Promise<Project> => Project.create(`p${n++}`, backend);

  beforeAll(async () => {
    backend = await createBackend({ keyPrefix: prefix });
  });
  afterAll(async () => {
    await backend.close();
    await dropPrefix(raw, prefix);
    raw.disconnect();
  });

  it("keeps every key under the prefix, with the project as hash tag", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const [a] = await t.appendMany([{ x: 1 }, { x: 2 }]);
    await t.update(a!, { x: 3 });
    await p.createExperiment("e");
    expect(await keysWithPrefix(raw, `${prefix}:{${p.name}}`)).toEqual(
      [
        `${prefix}:{${p.name}}:project`,
        `${prefix}:{${p.name}}:datasets`,
        `${prefix}:{${p.name}}:experiments`,
        `${prefix}:{${p.name}}:ops`,
        `${prefix}:{${p.name}}:dataset:d:rows`,
        `${prefix}:{${p.name}}:dataset:d:order`,
        `${prefix}:{${p.name}}:dataset:d:seq`,
        `${prefix}:{${p.name}}:dataset:d:ops`,
      ].sort(),
    );
    expect(await raw.hgetall(layout.project(p.name))).toMatchObject({ layout: String(LAYOUT_VERSION), createdAt: expect.any(String) });
    expect(await raw.smembers(layout.projects())).toContain(p.name);
  });

  it("deleting a project removes all of its keys and nothing else", async () => {
    const doomed = await fresh();
    const kept = await fresh();
    for (const p of [doomed, kept]) {
      const d = await p.createDataset("d");
      const ids = await d.appendMany(Array.from({ length: 50 }, (_, i) => ({ i })));
      await d.delete(ids[0]!);
      await (await p.createExperiment("e")).append({ r: 1 });
    }
    // Keys of another application, and of another Themis prefix, in the same database.
    const foreign = [`${prefix}-other:{${doomed.name}}:project`, `app:${prefix}:cache`, `${doomed.name}`];
    for (const key of foreign) await raw.set(key, "not themis");
    const keptBefore = await keysWithPrefix(raw, `${prefix}:{${kept.name}}`);

    await backend.deleteProject(doomed.name);

    // Only the tombstone is left, and only for ten minutes.
    expect(await keysWithPrefix(raw, `${prefix}:{${doomed.name}}`)).toEqual([layout.tombstone(doomed.name)]);
    const ttl = await raw.pttl(layout.tombstone(doomed.name));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(await raw.sismember(layout.projects(), doomed.name)).toBe(0);
    expect(await keysWithPrefix(raw, `${prefix}:{${kept.name}}`)).toEqual(keptBefore);
    for (const key of foreign) expect(await raw.get(key)).toBe("not themis");
    await raw.del(...foreign);
  });

  it("deleting a table removes its keys only", async () => {
    const p = await fresh();
    await (await p.createDataset("gone")).appendMany([{ a: 1 }]);
    await (await p.createDataset("stays")).appendMany([{ a: 2 }]);
    await p.deleteDataset("gone");
    expect(await keysWithPrefix(raw, `${prefix}:{${p.name}}:dataset:gone:`)).toEqual([]);
    expect(await raw.hlen(layout.table(p.name, "dataset", "stays").rows)).toBe(1);
  });

  it("appending the same rows again (a retry after a lost reply) stores them once", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const rows = [{ _row_id: "r1", v: 1 }, { _row_id: "r2", v: "2" }];
    await t.appendMany(rows);
    await t.appendMany(rows);
    await t.appendMany([rows[1]!, { _row_id: "r3", v: 3 }]);
    expect(await t.load()).toEqual([...rows, { _row_id: "r3", v: 3 }]);
    expect(await raw.zcard(layout.table(p.name, "dataset", "d").order)).toBe(3);
  });

  it("an appended row with the id of an existing row replaces it in place, as in the reference backend", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    await t.appendMany([{ _row_id: "a", v: 1 }, { _row_id: "b", v: 2 }]);
    await t.append({ _row_id: "a", v: "again" });
    // A large batch takes the MULTI path: the same rule.
    await t.appendMany([{ _row_id: "b", v: "big" }, ...Array.from({ length: 100 }, (_, i) => ({ _row_id: `n${i}`, v: i }))]);
    const loaded = await t.load();
    expect(loaded.slice(0, 2)).toEqual([{ _row_id: "a", v: "again" }, { _row_id: "b", v: "big" }]);
    expect(loaded).toHaveLength(102);
    expect(await raw.zcard(layout.table(p.name, "dataset", "d").order)).toBe(102);
  });

  it("a large batch retried after a lost reply is stored once, in its first place", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const batch = Array.from({ length: 500 }, (_, i) => ({ _row_id: `r${i}`, i }));
    await t.appendMany(batch);
    await t.append({ _row_id: "after", i: -1 });
    await t.appendMany(batch);
    const ids = (await t.load()).map((r) => r._row_id);
    expect(ids).toEqual([...batch.map((r) => r._row_id), "after"]);
  });

  it("applies an update or a delete delivered twice only once", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const [a, b] = await t.appendMany([{ v: "a" }, { v: "b" }]);
    const k = layout.table(p.name, "dataset", "d");
    const now = Date.now();
    const update = (json: string, op: string) => updateScript.run(raw, [k.index, k.rows, k.ops], ["d", a!, json, op, now]);
    expect(await update(JSON.stringify({ _row_id: a, v: "first" }), "op-1")).toEqual(["ok"]);
    await t.update(a!, { v: "newer, by another client" });
    // The first update arrives again (ioredis re-sends after a reconnect): it must not undo the newer one.
    expect(await update(JSON.stringify({ _row_id: a, v: "first" }), "op-1")).toEqual(["ok"]);
    expect((await t.get(a!)).v).toBe("newer, by another client");

    const del = () => deleteRowScript.run(raw, [k.index, k.rows, k.order, k.ops], ["d", b!, "op-2", now]);
    expect(await del()).toEqual(["ok"]);
    expect(await del()).toEqual(["ok"]); // not "missing_row": the caller's delete did happen
    expect(await t.load()).toEqual([{ _row_id: a, v: "newer, by another client" }]);
  });

  it("creates and deletes of tables and projects delivered twice answer ok the second time", async () => {
    const p = await fresh();
    const now = Date.now();
    const k = layout.table(p.name, "dataset", "t");
    const createTable = () => createTableScript.run(raw, [layout.project(p.name), k.index, k.rows, k.order, k.seq, k.ops, layout.projectOps(p.name)], ["t", "op-c", now]);
    expect(await createTable()).toEqual(["ok"]);
    expect(await createTable()).toEqual(["ok"]); // not "exists": it was this very create
    await expect(p.createDataset("t")).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" }); // another create
    const deleteTable = () => deleteTableScript.run(raw, [k.index, k.rows, k.order, k.seq, k.ops, layout.projectOps(p.name)], ["t", "op-d", now]);
    expect(await deleteTable()).toEqual(["ok"]);
    expect(await deleteTable()).toEqual(["ok"]);
    await expect(p.deleteDataset("t")).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });

    const name = `again_${p.name}`;
    expect(await createProjectScript.run(raw, [layout.project(name)], [LAYOUT_VERSION, "now", "op-p"])).toEqual(["created"]);
    expect(await createProjectScript.run(raw, [layout.project(name)], [LAYOUT_VERSION, "now", "op-p"])).toEqual(["exists", String(LAYOUT_VERSION), "op-p"]);
    const fixed = [layout.project(name), layout.tables(name, "dataset"), layout.tables(name, "experiment"), layout.projectOps(name), layout.tombstone(name)];
    expect(await deleteProjectScript.run(raw, fixed, ["op-x", 0])).toEqual(["ok"]);
    expect(await deleteProjectScript.run(raw, fixed, ["op-x", 0])).toEqual(["ok"]);
    expect(await deleteProjectScript.run(raw, fixed, ["op-other", 0])).toEqual(["missing_project"]);
  });

  it("a handle to a deleted table fails with NOT_FOUND and writes no keys", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    await t.append({ x: 1 });
    await p.deleteDataset("d");
    await expect(t.append({ x: 2 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    // A large batch is written by HSET before the check: the check takes it back.
    await expect(t.appendMany(Array.from({ length: 200 }, (_, i) => ({ i })))).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    await expect(t.update("x", { x: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    await expect(t.load()).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(await keysWithPrefix(raw, `${prefix}:{${p.name}}:dataset:d:`)).toEqual([]);
  });

  it("lists projects from the index, skipping names whose project marker is gone", async () => {
    const p = await fresh();
    await raw.sadd(layout.projects(), "half_created");
    const listed = await backend.listProjects();
    expect(listed).toContain(p.name);
    expect(listed).not.toContain("half_created");
    await expect(Project.open("half_created", backend)).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    const again = await Project.create("half_created", backend);
    expect(await backend.listProjects()).toContain(again.name);
  });

  it("refuses a project written with a newer key layout (UNSUPPORTED)", async () => {
    const p = await fresh();
    await raw.hset(layout.project(p.name), "layout", String(LAYOUT_VERSION + 1));
    await expect(Project.open(p.name, backend)).rejects.toMatchObject({ code: "ERR_THEMIS_UNSUPPORTED" });
    await expect(Project.openOrCreate(p.name, backend)).rejects.toMatchObject({ code: "ERR_THEMIS_UNSUPPORTED" });
  });

  it("reports a row that is not JSON as CORRUPT_DATA", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const id = await t.append({ x: 1 });
    await raw.hset(layout.table(p.name, "dataset", "d").rows, id, "{not json");
    await expect(t.get(id)).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    await expect(t.load()).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
  });

  it("keeps projects of different prefixes apart", async () => {
    const other = await createBackend({ keyPrefix: `${prefix}-b` });
    try {
      const p = await Project.create("same", backend);
      const q = await Project.create("same", other);
      await (await p.createDataset("d")).append({ who: "a" });
      await (await q.createDataset("d")).append({ who: "b" });
      expect((await (await p.getDataset("d")).load()).map((r) => r.who)).toEqual(["a"]);
      await other.deleteProject("same");
      expect((await (await p.getDataset("d")).load()).map((r) => r.who)).toEqual(["a"]);
    } finally {
      await other.close();
      await dropPrefix(raw, `${prefix}-b`);
    }
  });

  it("reads a table of 12,000 rows in order across pages", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const ids = await t.appendMany(Array.from({ length: 12_000 }, (_, i) => ({ i })));
    const loaded = await t.load();
    expect(loaded.map((r) => r._row_id)).toEqual(ids);
    let count = 0;
    for await (const row of t.entries()) expect(row.i).toBe(count++);
    expect(count).toBe(12_000);
  });
});
