import { describe, expect, it } from "vitest";
import { box, freshRoot } from "./helpers.js";

// The stand-in server must answer as Box's API reference says, or the backend tests prove
// nothing: these pin the behaviours the backend relies on, with plain HTTP.

const auth = { authorization: `Bearer ${box.token}` };

async function call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; redirect?: "manual" | "follow" } = {}) {
  const body = init.body === undefined || init.body instanceof FormData ? init.body : JSON.stringify(init.body);
  const res = await fetch(path.startsWith("http") ? path : `${box.baseUrl}${path}`, {
    method,
    headers: { ...auth, ...(body !== undefined && !(body instanceof FormData) && { "content-type": "application/json" }), ...init.headers },
    ...(body !== undefined && { body: body as string | FormData }),
    redirect: init.redirect ?? "manual",
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    // biome-ignore lint/suspicious/noExplicitAny: the tests read Box API answers loosely
    json: text && res.headers.get("content-type")?.includes("json") ? (JSON.parse(text) as Record<string, any>) : undefined,
  };
}

function upload(parentId: string, name: string, content: string, order: "attributes-first" | "file-first" = "attributes-first") {
  const form = new FormData();
  const attributes = () => form.append("attributes", JSON.stringify({ name, parent: { id: parentId } }));
  const file = () => form.append("file", new Blob([content]), name);
  if (order === "attributes-first") {
    attributes();
    file();
  } else {
    file();
    attributes();
  }
  return call("POST", `${box.uploadUrl}/2.0/files/content`, { body: form });
}

function newVersion(fileId: string, content: string, ifMatch?: string) {
  const form = new FormData();
  form.append("attributes", JSON.stringify({ name: "f.csv" }));
  form.append("file", new Blob([content]), "f.csv");
  return call("POST", `${box.uploadUrl}/2.0/files/${fileId}/content`, { body: form, ...(ifMatch !== undefined && { headers: { "if-match": ifMatch } }) });
}

describe("stand-in Box API server", () => {
  it("answers 401 with Box's error JSON without a valid token", async () => {
    const res = await call("GET", "/2.0/folders/0", { headers: { authorization: "Bearer nope" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("invalid_token");
    expect(res.json).toMatchObject({ type: "error", status: 401, code: "unauthorized", request_id: expect.any(String) });
  });

  it("creates folders, and refuses a duplicate name whatever its case with 409 item_name_in_use", async () => {
    const root = await freshRoot("srv");
    const made = await call("POST", "/2.0/folders", { body: { name: "Alpha", parent: { id: root } } });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ type: "folder", name: "Alpha", etag: "0", parent: { id: root } });
    const dup = await call("POST", "/2.0/folders", { body: { name: "alpha", parent: { id: root } } });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ code: "item_name_in_use", context_info: { conflicts: [{ type: "folder", id: made.json!.id }] } });
  });

  it("uploads (attributes part first), versions with If-Match (412 when stale), downloads through 302", async () => {
    const root = await freshRoot("srv");
    expect((await upload(root, "f.csv", "x", "file-first")).json).toMatchObject({ code: "metadata_after_file_contents" });
    const first = await upload(root, "f.csv", "v1\n");
    expect(first.status).toBe(201);
    const file = first.json!.entries[0];
    expect(file).toMatchObject({
      type: "file",
      name: "f.csv",
      etag: "0",
      size: 3,
      sha1: expect.stringMatching(/^[0-9a-f]{40}$/),
      file_version: { type: "file_version" },
    });
    expect((await upload(root, "F.CSV", "other")).json).toMatchObject({ code: "item_name_in_use", context_info: { conflicts: { id: file.id } } });

    expect((await newVersion(file.id, "v2\n", '"7"')).json).toMatchObject({ status: 412, code: "precondition_failed" });
    const second = await newVersion(file.id, "v2\n", "0");
    expect(second.json!.entries[0]).toMatchObject({ id: file.id, etag: "1" });

    const redirect = await call("GET", `/2.0/files/${file.id}/content`);
    expect(redirect.status).toBe(302);
    expect((await call("GET", redirect.headers.get("location")!)).text).toBe("v2\n");
    const old = await call("GET", `/2.0/files/${file.id}/content?version=${file.file_version.id}`, { redirect: "follow" });
    expect(old.text).toBe("v1\n");

    expect((await call("DELETE", `/2.0/files/${file.id}`, { headers: { "if-match": "0" } })).status).toBe(412);
    expect((await call("DELETE", `/2.0/files/${file.id}`, { headers: { "if-match": "1" } })).status).toBe(204);
    expect((await call("GET", `/2.0/files/${file.id}`)).status).toBe(404);
  });

  it("pages folder items by offset and by marker", async () => {
    const root = await freshRoot("srv");
    for (const n of ["c", "a", "b"]) await call("POST", "/2.0/folders", { body: { name: n, parent: { id: root } } });
    await upload(root, "0.csv", "x");
    const first = await call("GET", `/2.0/folders/${root}/items?offset=0&limit=2`);
    expect(first.json).toMatchObject({ total_count: 4, offset: 0, limit: 2 });
    expect(first.json!.entries.map((e: { name: string }) => e.name)).toEqual(["a", "b"]);
    const rest = await call("GET", `/2.0/folders/${root}/items?offset=2&limit=2`);
    expect(rest.json!.entries.map((e: { name: string }) => e.name)).toEqual(["c", "0.csv"]);

    const names: string[] = [];
    let marker = "";
    for (;;) {
      const page = await call("GET", `/2.0/folders/${root}/items?usemarker=true&limit=3${marker && `&marker=${marker}`}`);
      names.push(...page.json!.entries.map((e: { name: string }) => e.name));
      if (!page.json!.next_marker) break;
      marker = page.json!.next_marker;
    }
    expect(names).toEqual(["a", "b", "c", "0.csv"]);
    expect((await call("GET", `/2.0/folders/${root}/items?offset=10001`)).status).toBe(400);
  });

  it("deletes a non-empty folder only with recursive=true", async () => {
    const root = await freshRoot("srv");
    await upload(root, "f.csv", "x");
    expect((await call("DELETE", `/2.0/folders/${root}`)).json).toMatchObject({ status: 400, code: "folder_not_empty" });
    expect((await call("DELETE", `/2.0/folders/${root}?recursive=true`)).status).toBe(204);
    expect((await call("GET", `/2.0/folders/${root}`)).status).toBe(404);
  });
});
