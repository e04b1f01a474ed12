import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import type { BoxStorage } from "../src/index.js";
import { type BoxServer, startBoxServer } from "./box-server/server.ts";
import { box, createBox, freshRoot, idAt, server } from "./helpers.js";

let root: string;
let storage: BoxStorage;
beforeAll(async () => {
  root = await freshRoot("layout");
  storage = await createBox({ rootFolderId: root });
});
afterAll(async () => {
  await storage.close();
});

const unique = (): string => `p_${Math.random().toString(36).slice(2, 10)}`;

/** Upload a file over the plain API (as another Box app or a person would). */
async function uploadRaw(parentId: string, name: string, content: string | Buffer): Promise<string> {
  const form = new FormData();
  form.append("attributes", JSON.stringify({ name, parent: { id: parentId } }));
  form.append("file", new Blob([content]), name);
  const res = await fetch(`${box.uploadUrl}/2.0/files/content`, { method: "POST", headers: { authorization: `Bearer ${box.token}` }, body: form });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { entries: { id: string }[] }).entries[0]!.id;
}

async function download(fileId: string): Promise<string> {
  return (await fetch(`${box.baseUrl}/2.0/files/${fileId}/content`, { headers: { authorization: `Bearer ${box.token}` } })).text();
}

/**
 * Requests to paths matching `pattern` made while `action` runs, on the shared server: its
 * log holds other test files' requests too, so `pattern` must name this test's own ids.
 */
async function sharedRequestsDuring(pattern: RegExp, action: () => Promise<unknown>): Promise<string[]> {
  const before = (await server.requests(pattern)).length;
  await action();
  return (await server.requests(pattern)).slice(before).map((r) => `${r.method} ${r.path.replace(/\d+/g, "#")} ${r.status}`);
}

describe("layout on Box: <root>/<project>/{datasets,experiments}/<name>.csv", () => {
  it("creates the project folder with both kind folders, and one readable CSV file per table", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    const qa = await p.createDataset("qa");
    const id = await qa.append({ question: "2+2?", answer: "4", score: 1 });
    await p.createExperiment("run 1");
    expect(await idAt(root, [name, "datasets"])).toBeDefined();
    const file = await idAt(root, [name, "datasets", "qa.csv"]);
    // Same encoding as local/csv: the string "4" is marked with a leading ' so it stays a string.
    expect(await download(file!)).toBe(`_row_id,question,answer,score\n${id},2+2?,'4,1\n`);
    expect(await download((await idAt(root, [name, "experiments", "run 1.csv"]))!)).toBe("_row_id\n");
  });

  it("lists as projects only the folders of the root, and as tables only its .csv files", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    await uploadRaw(root, "notes.txt", "not a project");
    const datasets = (await idAt(root, [name, "datasets"]))!;
    await uploadRaw(datasets, "readme.md", "not a table");
    await p.createDataset("t");
    expect(await storage.listProjects()).toContain(name);
    expect(await storage.listProjects()).not.toContain("notes.txt");
    expect(await p.listDatasets()).toEqual(["t"]);
  });

  it("pages through folders bigger than one page", async () => {
    const paged = await createBox({ rootFolderId: root, folderPageSize: 2 });
    try {
      const name = unique();
      const p = await Project.create(name, paged);
      const names = ["a", "b", "c", "d", "e"];
      for (const n of names) await p.createDataset(n);
      const datasets = (await idAt(root, [name, "datasets"]))!;
      const calls = await sharedRequestsDuring(new RegExp(`^/2\\.0/folders/${datasets}/items$`), async () => expect(await p.listDatasets()).toEqual(names));
      expect(calls).toHaveLength(3);
    } finally {
      await paged.close();
    }
  });

  it("refuses a table whose name differs only in case from another one (Box names are case-insensitive)", async () => {
    const p = await Project.create(unique(), storage);
    await p.createDataset("Data");
    await expect(p.createDataset("data")).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
  });
});

describe("requests per operation", () => {
  // A server of its own: the shared one also logs the requests of test files running beside this one.
  let own: BoxServer;
  let ownStorage: BoxStorage;
  const ownConfig = () => ({ baseUrl: own.baseUrl, uploadUrl: own.uploadUrl, oauth2Url: own.oauth2Url });
  beforeAll(async () => {
    own = await startBoxServer({ tokens: [box.token] });
    ownStorage = await createBox(ownConfig());
  });
  afterAll(async () => {
    await ownStorage?.close();
    await own?.close();
  });

  /** Requests to paths matching `pattern` made while `action` runs. */
  async function requestsDuring(pattern: RegExp, action: () => Promise<unknown>): Promise<string[]> {
    const before = own.log.length;
    await action();
    return own.log
      .slice(before)
      .filter((r) => pattern.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/\d+/g, "#")} ${r.status}`);
  }

  it("append: one upload when the cached version is current; load: one metadata call when unchanged", async () => {
    const p = await Project.create(unique(), ownStorage);
    const t = await p.createDataset("d");
    await t.append({ warm: 0 });
    const any = /^\/(api\/)?2\.0\/|^\/dl\//;
    expect(await requestsDuring(any, () => t.appendMany(Array.from({ length: 500 }, (_, i) => ({ i }))))).toEqual(["POST /api/#.#/files/#/content 201"]);
    expect(await requestsDuring(any, () => t.load())).toEqual(["GET /#.#/files/# 200"]);
  });

  it("load after another client's write: metadata, then the new version's content (302 to the content URL)", async () => {
    const name = unique();
    const p = await Project.create(name, ownStorage);
    const t = await p.createDataset("d");
    await t.append({ n: 1 });
    const other = await createBox(ownConfig());
    await (await (await Project.open(name, other)).getDataset("d")).append({ n: 2 });
    await other.close();
    const any = /^\/(api\/)?2\.0\/|^\/dl\//;
    const calls = await requestsDuring(any, async () => expect((await t.load()).map((r) => r.n)).toEqual([1, 2]));
    expect(calls).toHaveLength(3);
    expect(calls.slice(0, 2)).toEqual(["GET /#.#/files/# 200", "GET /#.#/files/#/content 302"]);
    expect(calls[2]).toMatch(/^GET \/dl\/#\/\S+ 200$/);
  });
});

describe("connections", () => {
  it("keeps connections alive (the SDK's default agent opens one per request) and closes them on close()", async () => {
    const own = await startBoxServer({ tokens: [box.token] });
    try {
      const s = await createBox({ baseUrl: own.baseUrl, uploadUrl: own.uploadUrl, oauth2Url: own.oauth2Url });
      const p = await Project.create(unique(), s);
      const t = await p.createDataset("d");
      for (let i = 0; i < 10; i++) await t.append({ i });
      await t.load();
      expect(own.log.length).toBeGreaterThan(15);
      expect(own.connections()).toBeLessThanOrEqual(2);
      await s.close();
    } finally {
      await own.close();
    }
  });
});

describe("files changed outside Themis", () => {
  it("a table deleted and re-created by another client: the old handle is NOT_FOUND, a new lookup finds the new file", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    const t = await p.createDataset("d");
    await t.append({ v: "old" });
    const other = await createBox({ rootFolderId: root });
    const q = await Project.open(name, other);
    await q.deleteDataset("d");
    await (await q.createDataset("d")).append({ v: "new" });
    await other.close();
    await expect(t.load()).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect((await (await p.getDataset("d")).load()).map((r) => r.v)).toEqual(["new"]);
  });

  it("reads a CSV edited elsewhere (CRLF line ends, byte order mark, hand-typed cells)", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    await p.createDataset("placeholder");
    const datasets = (await idAt(root, [name, "datasets"]))!;
    await uploadRaw(datasets, "edited.csv", "\uFEFF_row_id,question,score\r\nr1,hello world,1\r\nr2,'007,2.5\r\n");
    const t = await p.getDataset("edited");
    expect(await t.load()).toEqual([
      { _row_id: "r1", question: "hello world", score: 1 },
      { _row_id: "r2", question: "007", score: 2.5 },
    ]);
    const id = await t.append({ question: "new" });
    expect((await t.load()).map((r) => r._row_id)).toEqual(["r1", "r2", id]);
  });

  it("streams, reads, updates and deletes rows of an edited file through its text (CRLF, quoted line breaks, a mixed line end)", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    await p.createDataset("placeholder");
    const datasets = (await idAt(root, [name, "datasets"]))!;
    const csv = '\uFEFF_row_id,question,score\r\nr1,"two\r\nlines, ""quoted""",1\r\nr2,plain,2\nr3,"x",3\r\n';
    const fileId = await uploadRaw(datasets, "edited.csv", csv);
    const t = await p.getDataset("edited");
    const rows = [
      { _row_id: "r1", question: 'two\r\nlines, "quoted"', score: 1 },
      { _row_id: "r2", question: "plain", score: 2 },
      { _row_id: "r3", question: "x", score: 3 },
    ];
    const streamed = [];
    for await (const row of t.entries()) streamed.push(row);
    expect(streamed).toEqual(rows);
    expect(await t.get("r3")).toEqual(rows[2]);
    await t.update("r3", { question: "y\nz", score: 30 });
    await t.delete("r1");
    // Untouched records keep their bytes; the edited one is written with the file's line end.
    expect(await download(fileId)).toBe('_row_id,question,score\r\nr2,plain,2\nr3,"y\nz",30\r\n');
    expect(await t.load()).toEqual([rows[1], { _row_id: "r3", question: "y\nz", score: 30 }]);
  });

  it("a malformed file is CORRUPT_DATA on read, and an append does not overwrite it", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    await p.createDataset("placeholder");
    const datasets = (await idAt(root, [name, "datasets"]))!;
    const broken = '_row_id,a\nr1,"never closed\nr2,2\n';
    const fileId = await uploadRaw(datasets, "broken.csv", broken);
    const t = await p.getDataset("broken");
    await expect(t.load()).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    await expect(t.append({ a: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    expect(await download(fileId)).toBe(broken);
  });

  it("appending a row whose id is stored already is ALREADY_EXISTS: nothing is uploaded, the stored row is kept", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    const t = await p.createDataset("d");
    await t.appendMany([
      { _row_id: "a", v: 1 },
      { _row_id: "b", v: 2 },
    ]);
    const file = await idAt(root, [name, "datasets", "d.csv"]);
    const ofFile = new RegExp(`^/(api/)?2\\.0/files/${file}(/|$)|^/dl/${file}/`);
    // Refused on cached content, checked against Box (one metadata call, same etag), never uploaded.
    let failed: unknown;
    expect(await sharedRequestsDuring(ofFile, () => t.append({ _row_id: "a", v: 1 }).catch((e: unknown) => (failed = e)))).toEqual(["GET /#.#/files/# 200"]);
    expect(failed).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", backend: "box/csv" });
    await expect(
      t.appendMany([
        { _row_id: "c", v: 3 },
        { _row_id: "a", v: 10 },
      ]),
    ).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    expect(await t.load()).toEqual([
      { _row_id: "a", v: 1 },
      { _row_id: "b", v: 2 },
    ]);
  });

  it("an id another client deleted after this one cached the table can be appended again (checked against Box)", async () => {
    const name = unique();
    const p = await Project.create(name, storage);
    const t = await p.createDataset("d");
    await t.appendMany([
      { _row_id: "a", v: 1 },
      { _row_id: "b", v: 2 },
    ]);
    const other = await createBox({ rootFolderId: root });
    try {
      await (await (await Project.open(name, other)).getDataset("d")).delete("a");
    } finally {
      await other.close();
    }
    expect(await t.append({ _row_id: "a", v: 3 })).toBe("a");
    expect(await t.load()).toEqual([
      { _row_id: "b", v: 2 },
      { _row_id: "a", v: 3 },
    ]);
  });
});
