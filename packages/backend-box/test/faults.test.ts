import { afterEach, describe, expect, it } from "vitest";
import { Project, type Table } from "@themis/core";
import { createBox, idAt, oracle, server } from "./helpers.js";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await server.clearFaults();
  for (const c of cleanup.splice(0)) await c();
});

/** A dataset with `rows` rows written by one client, and the same table opened by a fresh one. */
async function twoViews(rows: number, options: Parameters<typeof createBox>[0] = {}): Promise<{ name: string; fileId: string; ids: string[]; fresh: Table }> {
  const name = `fault_${Math.random().toString(36).slice(2, 10)}`;
  const writer = await createBox();
  const p = await Project.create(name, writer);
  const ids = await (await p.createDataset("d")).appendMany(Array.from({ length: rows }, (_, i) => ({ i, text: `row ${i}` })));
  await p.close();
  await writer.close();
  const storage = await createBox(options);
  const q = await Project.open(name, storage);
  cleanup.push(async () => {
    await q.close();
    await storage.close();
    const s = await createBox();
    await s.deleteProject(name).catch(() => undefined);
    await s.close();
  });
  return { name, fileId: (await idAt("0", [name, "datasets", "d.csv"]))!, ids, fresh: await q.getDataset("d") };
}

const uploads = (fileId: string) => server.requests(new RegExp(`^/api/2\\.0/files/${fileId}/content$`));

/** Uploads of new versions of a file from now on (the log is shared by the whole run). */
async function uploadsFromNow(fileId: string): Promise<() => Promise<Array<{ status: number }>>> {
  const before = (await uploads(fileId)).length;
  return async () => (await uploads(fileId)).slice(before);
}

describe("a failed read never leads to a write (Ragas' box/csv data-loss bug)", () => {
  it("500 on every download: the append fails UNAVAILABLE, nothing is uploaded, the file keeps all its rows", async () => {
    const { name, fileId, ids, fresh } = await twoViews(5, { requestRetries: 2 });
    const uploadsTo = await uploadsFromNow(fileId);
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}/content$`, status: 500, times: 1000 });
    await expect(fresh.append({ i: 99 })).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true });
    await expect(fresh.load()).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
    expect(await uploadsTo()).toEqual([]);
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual(ids);

    // Once Box answers again, the same client appends cleanly after all the existing rows.
    await server.clearFaults();
    const id = await fresh.append({ i: 99 });
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...ids, id]);
  });

  it("500 on the file's metadata: the append fails, nothing is uploaded", async () => {
    const { name, fileId, ids, fresh } = await twoViews(3, { requestRetries: 1 });
    const uploadsTo = await uploadsFromNow(fileId);
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, status: 503, times: 1000 });
    await expect(fresh.appendMany([{ i: 1 }, { i: 2 }])).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
    expect(await uploadsTo()).toEqual([]);
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual(ids);
  });

  it("a torn download (connection cut mid-body) is retried; when it keeps failing, nothing is written", async () => {
    const { name, fileId, ids, fresh } = await twoViews(50);
    const uploadsTo = await uploadsFromNow(fileId);
    await server.fault({ method: "GET", path: `^/dl/${fileId}/`, truncate: true, times: 1000 });
    const failed = await fresh.append({ i: 99 }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: expect.stringMatching(/^ERR_THEMIS_(UNAVAILABLE|CORRUPT_DATA)$/) });
    expect(await uploadsTo()).toEqual([]);
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual(ids);

    await server.clearFaults();
    await server.fault({ method: "GET", path: `^/dl/${fileId}/`, truncate: true, times: 1 });
    const id = await fresh.append({ i: 99 });
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...ids, id]);
  });

  it("an upload that reached Box but whose answer was lost (500) is not stored twice", async () => {
    const { name, fileId, ids, fresh } = await twoViews(2);
    const uploadsTo = await uploadsFromNow(fileId);
    await fresh.load();
    await server.fault({ method: "POST", path: `^/api/2\\.0/files/${fileId}/content$`, status: 500, afterHandling: true, times: 1 });
    const added = await fresh.appendMany([{ i: 10 }, { i: 11 }]);
    // The SDK retried with the same If-Match, got 412, and the re-read showed the rows already there.
    expect((await uploadsTo()).map((r) => r.status)).toEqual([500, 412]);
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...ids, ...added]);
  });

  it("a lost upload answer (500, then 412 on the SDK's retry) neither stores the batch twice nor fails it; appending it again later is ALREADY_EXISTS", async () => {
    const { name, fileId, ids, fresh } = await twoViews(2);
    const uploadsTo = await uploadsFromNow(fileId);
    await fresh.load();
    await server.fault({ method: "POST", path: `^/api/2\\.0/files/${fileId}/content$`, status: 500, afterHandling: true, times: 1 });
    const batch = [
      { _row_id: "mine-1", i: 10 },
      { _row_id: "mine-2", i: 11 },
    ];
    expect(await fresh.appendMany(batch)).toEqual(["mine-1", "mine-2"]);
    expect((await uploadsTo()).map((r) => r.status)).toEqual([500, 412]);
    await expect(fresh.appendMany(batch)).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...ids, "mine-1", "mine-2"]);
  });
});

describe("rate limits and server errors", () => {
  it("honours retry-after on 429: the retry waits at least that long, then the call succeeds", async () => {
    const { fileId, ids, fresh } = await twoViews(2);
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, status: 429, retryAfter: 1, times: 1 });
    expect((await fresh.load()).map((r) => r._row_id)).toEqual(ids);
    const calls = await server.requests(new RegExp(`^/2\\.0/files/${fileId}$`));
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    // Lower bound only (server clock): a correct client can never retry sooner.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it("retries 5xx on writes and reads with backoff until Box answers", async () => {
    const { name, fileId, ids, fresh } = await twoViews(1);
    const uploadsTo = await uploadsFromNow(fileId);
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}/content$`, status: 502, times: 2 });
    await server.fault({ method: "POST", path: `^/api/2\\.0/files/${fileId}/content$`, status: 503, times: 2 });
    const id = await fresh.append({ i: 1 });
    expect((await uploadsTo()).map((r) => r.status)).toEqual([503, 503, 201]);
    expect(await oracle().rowIds(name, "dataset", "d")).toEqual([...ids, id]);
  });

  it("reports UNAVAILABLE (retryable) when 429 outlasts the retries", async () => {
    const { fileId, fresh } = await twoViews(1, { requestRetries: 1 });
    await server.fault({ method: "GET", path: `^/2\\.0/files/${fileId}$`, status: 429, retryAfter: 0, times: 1000 });
    await expect(fresh.load()).rejects.toMatchObject({
      code: "ERR_THEMIS_UNAVAILABLE",
      retryable: true,
      cause: { status: 429, boxCode: "rate_limit_exceeded" },
    });
  });
});
