import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, type StorageBackend } from "@themis/core";
import { KeyLayout, LAYOUT_VERSION } from "../src/index.js";
import {
  appendCheckScript,
  appendFewScript,
  appendFinishScript,
  createProjectScript,
  createTableScript,
  deleteProjectScript,
  deleteRowScript,
  deleteTableScript,
  updateScript,
} from "../src/scripts.js";
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

  it("appending an id that is stored is ALREADY_EXISTS, on both paths, and leaves the stored rows and keys exactly as they were", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const k = layout.table(p.name, "dataset", "d");
    await t.appendMany([
      { _row_id: "a", v: 1 },
      { _row_id: "b", v: 2 },
    ]);
    const snapshot = async () => ({
      keys: await keysWithPrefix(raw, `${prefix}:{${p.name}}:dataset:d:`),
      rows: await raw.hgetall(k.rows),
      order: await raw.zrange(k.order, "0", "-1", "WITHSCORES"),
      seq: await raw.get(k.seq),
    });
    const before = await snapshot();
    await expect(t.append({ _row_id: "a", v: "again" })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", message: expect.stringContaining('"a"') });
    // A large batch takes the MULTI path (check, native HSETs, script): the same rule, with
    // the taken id anywhere in the batch.
    const big = (taken: string, at: number) => Array.from({ length: 200 }, (_, i) => (i === at ? { _row_id: taken, v: "big" } : { _row_id: `n${i}`, v: i }));
    for (const at of [0, 100, 199])
      await expect(t.appendMany(big("b", at))).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", message: expect.stringContaining('"b"') });
    const after = await snapshot();
    expect(after.rows).toEqual(before.rows);
    expect(after.order).toEqual(before.order);
    expect(after.seq).toBe(before.seq); // a refused batch leaves even the sequence counter alone
    expect(after.keys).toEqual(before.keys); // no stash or verdict left
    expect(await raw.zcard(k.ops)).toBe(1); // the first append's op id only: refused ones record nothing
    expect(await t.load()).toEqual([
      { _row_id: "a", v: 1 },
      { _row_id: "b", v: 2 },
    ]);
    // New ids still append, on both paths, after the refusals.
    await t.append({ _row_id: "c", v: 3 });
    await t.appendMany(big("n-extra", 0));
    expect((await t.load()).map((r) => r._row_id)).toEqual(["a", "b", "c", "n-extra", ...Array.from({ length: 199 }, (_, i) => `n${i + 1}`)]);
    expect(await raw.zcard(k.order)).toBe(203);
    expect(await raw.hlen(k.rows)).toBe(203);
  });

  it("a deleted id can be appended again; a large batch with a stored id as its last row, or in a later chunk, stores nothing", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const k = layout.table(p.name, "dataset", "d");
    // Appended then deleted: the id is free again.
    await t.append({ _row_id: "gone", v: 0 });
    await t.delete("gone");
    await t.appendMany(Array.from({ length: 100 }, (_, i) => ({ _row_id: i === 50 ? "gone" : `r${i}`, i })));
    expect(await raw.hlen(k.rows)).toBe(100);
    await expect(t.appendMany(Array.from({ length: 100 }, (_, i) => ({ _row_id: `s${i}`, i, ...(i === 99 ? { _row_id: "r0" } : {}) })))).rejects.toMatchObject({
      code: "ERR_THEMIS_ALREADY_EXISTS",
    });
    expect(await raw.hlen(k.rows)).toBe(100);
    expect(await raw.zcard(k.order)).toBe(100);
    expect(await raw.exists(k.stash, k.verdict)).toBe(0);
    // The check reads ids in chunks of 1,000: a stored id first in a later chunk, or deep in
    // the last one, is found too.
    for (const at of [1000, 2400]) {
      const batch = Array.from({ length: 2500 }, (_, i) => ({ _row_id: i === at ? "r7" : `x${at}-${i}`, i }));
      await expect(t.appendMany(batch)).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", message: expect.stringContaining('"r7"') });
    }
    expect(await raw.hlen(k.rows)).toBe(100);
    expect(await raw.zcard(k.order)).toBe(100);
    // An id twice in one batch, given to the store directly (core refuses such a batch
    // before a backend sees it): the ordering pass adds it once, so the batch is refused too.
    const store = await (await backend.openProject(p.name, "open")).openTable("dataset", "d");
    const twice = Array.from({ length: 300 }, (_, i) => ({ _row_id: i === 250 ? "y3" : `y${i}`, i }));
    await expect(store.append(twice)).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", message: expect.stringContaining('"y3"') });
    // The same on the few-rows path (one script).
    await expect(store.append([{ _row_id: "z1" }, { _row_id: "z2" }, { _row_id: "z1" }])).rejects.toMatchObject({ message: expect.stringContaining('"z1"') });
    expect(await raw.hlen(k.rows)).toBe(100);
    expect(await raw.zrange(k.order, "0", "-1")).toEqual(Array.from({ length: 100 }, (_, i) => (i === 50 ? "gone" : `r${i}`)));
  });

  it("an append delivered twice (a retry after a lost reply) is stored once, answers ok, and undoes nothing", async () => {
    const p = await fresh();
    const t = await p.createDataset("d");
    const k = layout.table(p.name, "dataset", "d");
    const now = Date.now();
    const rowsOf = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ _row_id: `${tag}${i}`, i }));
    const fields = (rows: { _row_id: string }[]) => rows.flatMap((r) => [r._row_id, JSON.stringify(r)]);
    // The few-rows path: one script.
    const few = rowsOf(3, "f");
    const sendFew = () => appendFewScript.run(raw, [k.index, k.rows, k.order, k.seq, k.ops], ["d", "op-few", now, ...fields(few)]);
    // The large path: the MULTI the backend sends.
    const many = rowsOf(300, "m");
    const sendMany = async () => {
      const tx = raw.multi();
      tx.call("eval", [
        appendCheckScript.source,
        "7",
        k.index,
        k.rows,
        k.order,
        k.seq,
        k.ops,
        k.stash,
        k.verdict,
        "d",
        "op-many",
        now,
        ...many.map((r) => r._row_id),
      ]);
      tx.call("hset", [k.rows, ...fields(many)]);
      tx.call("eval", [appendFinishScript.source, "3", k.rows, k.stash, k.verdict]);
      const replies = (await tx.exec())!;
      for (const [error] of replies) expect(error).toBeNull();
      return replies[replies.length - 1]![1];
    };
    expect(await sendFew()).toEqual(["ok"]);
    expect(await sendMany()).toEqual(["ok"]);
    await t.append({ _row_id: "after", i: -1 });
    // Meanwhile another client updates one row of each batch and deletes another.
    await t.update("f0", { i: "updated" });
    await t.update("m0", { i: "updated" });
    await t.delete("f1");
    await t.delete("m1");
    const before = await t.load();
    // The first deliveries arrive again: "ok" (the caller's append did happen), and nothing changes.
    expect(await sendFew()).toEqual(["ok"]);
    expect(await sendMany()).toEqual(["ok"]);
    expect(await t.load()).toEqual(before);
    expect(before.map((r) => r._row_id)).toEqual(["f0", "f2", "m0", ...many.slice(2).map((r) => r._row_id), "after"]);
    expect(before[0]).toEqual({ _row_id: "f0", i: "updated" });
    expect(await raw.zcard(k.order)).toBe(before.length);
    expect(await raw.hlen(k.rows)).toBe(before.length);
    expect(await raw.exists(k.stash, k.verdict)).toBe(0);
    // The same rows appended by a new call (another operation) are refused.
    await expect(t.appendMany(few.slice(2))).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
  });

  it("two clients racing to append the same new ids: one wins each id, the other gets ALREADY_EXISTS", async () => {
    const other = await createBackend({ keyPrefix: prefix });
    try {
      const p = await fresh();
      const mine = await p.createDataset("d");
      const theirs = await (await Project.open(p.name, other)).getDataset("d");
      const attempts: Promise<string>[] = [];
      for (let i = 0; i < 100; i++) {
        for (const [who, t] of [
          ["mine", mine],
          ["theirs", theirs],
        ] as const) {
          attempts.push(
            t.append({ _row_id: `id${i}`, who }).then(
              () => "won",
              (error: { code?: string }) => error.code ?? "?",
            ),
          );
        }
      }
      // Large batches (the MULTI path) overlapping at one id, also racing.
      for (const [who, t] of [
        ["mine", mine],
        ["theirs", theirs],
      ] as const) {
        attempts.push(
          t.appendMany(Array.from({ length: 100 }, (_, i) => ({ _row_id: i === 0 ? "shared" : `${who}${i}`, who }))).then(
            () => "won",
            (error: { code?: string }) => error.code ?? "?",
          ),
        );
      }
      const outcomes = await Promise.all(attempts);
      for (let i = 0; i < outcomes.length; i += 2) expect([outcomes[i], outcomes[i + 1]].sort()).toEqual(["ERR_THEMIS_ALREADY_EXISTS", "won"]);
      const rows = await mine.load();
      expect(rows).toHaveLength(100 + 100);
      expect(new Set(rows.map((r) => r._row_id)).size).toBe(rows.length);
    } finally {
      await other.close();
    }
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
    const createTable = () =>
      createTableScript.run(raw, [layout.project(p.name), k.index, k.rows, k.order, k.seq, k.ops, layout.projectOps(p.name)], ["t", "op-c", now]);
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
