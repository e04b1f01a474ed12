import { afterEach, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { box, createBox, idAt, oracle, server } from "./helpers.js";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await server.clearFaults();
  for (const c of cleanup.splice(0)) await c();
});

/** A project with one dataset of `initial` rows, plus the file id of that dataset. */
async function seeded(initial: number): Promise<{ name: string; fileId: string; ids: string[] }> {
  const name = `conc_${Math.random().toString(36).slice(2, 10)}`;
  const storage = await createBox();
  const p = await Project.create(name, storage);
  const ids = await (await p.createDataset("d")).appendMany(Array.from({ length: initial }, (_, i) => ({ seed: i })));
  await p.close();
  await storage.close();
  const fileId = (await idAt("0", [name, "datasets", "d.csv"]))!;
  cleanup.push(async () => {
    const s = await createBox();
    await s.deleteProject(name).catch(() => undefined);
    await s.close();
  });
  return { name, fileId, ids };
}

async function open(project: string, options: Parameters<typeof createBox>[0] = {}) {
  const storage = await createBox(options);
  const p = await Project.open(project, storage);
  cleanup.push(async () => {
    await p.close();
    await storage.close();
  });
  return p.getDataset("d");
}

describe("two clients writing one table", () => {
  it("loses no row when both append at once: the loser of the race gets 412, re-reads and re-applies", async () => {
    const { name, fileId, ids: seedIds } = await seeded(3);
    const a = await open(name);
    const b = await open(name);
    // Both clients must read the same version before either writes: hold their reads until both arrived.
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, gate: 2 });
    const [idsA, idsB] = await Promise.all([
      a.appendMany([
        { from: "a", i: 0 },
        { from: "a", i: 1 },
      ]),
      b.appendMany([{ from: "b", i: 0 }]),
    ]);

    const uploads = await server.requests(new RegExp(`^/api/2\\.0/files/${fileId}/content$`));
    expect(uploads.filter((r) => r.status === 412).length).toBeGreaterThanOrEqual(1);
    const stored = await oracle().rowIds(name, "dataset", "d");
    expect(stored?.slice(0, 3)).toEqual(seedIds);
    expect(new Set(stored)).toEqual(new Set([...seedIds, ...idsA, ...idsB]));
    expect(stored).toHaveLength(6);
  });

  it("keeps every row of many interleaved appends from two clients, each batch in order", async () => {
    const { name } = await seeded(0);
    const a = await open(name);
    const b = await open(name);
    const work = (t: typeof a, who: string) =>
      Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 4 === 0
            ? t.appendMany([
                { who, i, part: 0 },
                { who, i, part: 1 },
              ])
            : t.append({ who, i }).then((id) => [id]),
        ),
      );
    const [fromA, fromB] = await Promise.all([work(a, "a"), work(b, "b")]);
    const expected = [...fromA.flat(), ...fromB.flat()];

    const stored = (await oracle().rowIds(name, "dataset", "d"))!;
    expect(stored).toHaveLength(expected.length);
    expect(new Set(stored)).toEqual(new Set(expected));
    for (const batch of [...fromA, ...fromB].filter((ids) => ids.length === 2)) {
      expect(stored.indexOf(batch[1]!)).toBe(stored.indexOf(batch[0]!) + 1);
    }
    // A third client sees the same rows, and each writer sees the other's.
    const c = await open(name);
    expect((await c.load()).map((r) => r._row_id)).toEqual(stored);
    expect((await a.load()).map((r) => r._row_id)).toEqual(stored);
  });

  it("two clients appending the same new id at once: one wins, the other gets ALREADY_EXISTS and stores nothing of its batch", async () => {
    const { name, fileId, ids: seedIds } = await seeded(1);
    const a = await open(name);
    const b = await open(name);
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, gate: 2 });
    const results = await Promise.allSettled([
      a.appendMany([
        { _row_id: "same", from: "a" },
        { _row_id: "only-a", from: "a" },
      ]),
      b.appendMany([
        { _row_id: "only-b", from: "b" },
        { _row_id: "same", from: "b" },
      ]),
    ]);
    const won = results.findIndex((r) => r.status === "fulfilled");
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(won).toBeGreaterThanOrEqual(0);
    expect(lost.reason).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", backend: "box/csv" });
    const winner = won === 0 ? "a" : "b";
    const rows = await (await open(name)).load();
    expect(rows.map((r) => r._row_id)).toEqual([...seedIds, ...(winner === "a" ? ["same", "only-a"] : ["only-b", "same"])]);
    expect(rows.find((r) => r._row_id === "same")).toMatchObject({ from: winner });
  });

  it("two clients appending the very same row at once (same id, equal content): the row is stored once", async () => {
    const { name, fileId, ids: seedIds } = await seeded(1);
    const a = await open(name);
    const b = await open(name);
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, gate: 2 });
    // The loser's 412 cannot tell the winner's upload from a retry of its own: both calls succeed.
    await Promise.all([a.append({ _row_id: "same", v: 1 }), b.append({ _row_id: "same", v: 1 })]);
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...seedIds, "same"]);
  });

  it("applies concurrent updates and deletes from two clients to different rows", async () => {
    const { name, ids } = await seeded(10);
    const a = await open(name);
    const b = await open(name);
    await Promise.all([...ids.slice(0, 5).map((id) => a.update(id, { seed: -1, by: "a" })), ...ids.slice(5, 8).map((id) => b.delete(id))]);
    const rows = await (await open(name)).load();
    expect(rows.map((r) => r._row_id)).toEqual([...ids.slice(0, 5), ...ids.slice(8)]);
    expect(rows.slice(0, 5).every((r) => r.by === "a")).toBe(true);
  });

  it("updates a row another client appended after this one cached the table (checks Box before NOT_FOUND)", async () => {
    const { name } = await seeded(1);
    const a = await open(name);
    const b = await open(name);
    await a.load();
    const id = await b.append({ from: "b" });
    await a.update(id, { from: "b", updatedBy: "a" });
    await a.delete(id);
    await expect(a.update(id, { gone: true })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect((await b.load()).map((r) => r._row_id)).not.toContain(id);
  });

  it("gives up with CONFLICT after the configured retries, and the losing write leaves no trace", async () => {
    const { name, fileId, ids: seedIds } = await seeded(2);
    const a = await open(name, { conflictRetries: 0 });
    const b = await open(name, { conflictRetries: 0 });
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, gate: 2 });
    const results = await Promise.allSettled([a.append({ from: "a" }), b.append({ from: "b" })]);
    const won = results.filter((r) => r.status === "fulfilled") as PromiseFulfilledResult<string>[];
    const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: "ERR_THEMIS_CONFLICT", retryable: true });
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...seedIds, won[0]!.value]);
  });

  it("two clients creating the first table of a project at once: the 409 on the kind folder is resolved by re-reading", async () => {
    const name = `race_${Math.random().toString(36).slice(2, 10)}`;
    // A project folder made elsewhere, without its kind folders yet.
    const res = await fetch(`${box.baseUrl}/2.0/folders`, {
      method: "POST",
      headers: { authorization: `Bearer ${box.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name, parent: { id: "0" } }),
    });
    const projectId = ((await res.json()) as { id: string }).id;
    cleanup.push(async () => {
      const s = await createBox();
      await s.deleteProject(name).catch(() => undefined);
      await s.close();
    });
    const [a, b] = [await createBox(), await createBox()];
    const [pa, pb] = [await Project.open(name, a), await Project.open(name, b)];
    cleanup.push(async () => {
      for (const s of [a, b]) await s.close();
    });
    // Both list the project folder (no "datasets" yet) before either creates it.
    await server.fault({ method: "GET", path: `^/2\\.0/folders/${projectId}/items$`, gate: 2 });
    await Promise.all([pa.createDataset("from-a"), pb.createDataset("from-b")]);
    const creates = (await server.requests(/^\/2\.0\/folders$/)).filter((r) => r.target === `${projectId}/datasets`);
    expect(creates.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await pa.listDatasets()).toEqual(["from-a", "from-b"]);
    expect(await pb.listDatasets()).toEqual(["from-a", "from-b"]);
  });
});
