import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { parseCsv } from "@themis/csv-codec";
import type { StorageOracle } from "@themis/conformance";
import type { TableKind } from "@themis/core";
import { boxBackend, type BoxConfigInput, type BoxStorage } from "../src/index.js";
import type { FaultRule } from "./box-server/faults.ts";
import type { BoxApp } from "./box-server/oauth.ts";
import type { LoggedRequest } from "./box-server/server.ts";

export const box = inject("box");

/** Backend config pointing at the test server, with quick retries. */
export function boxConfig(overrides: BoxConfigInput = {}): BoxConfigInput {
  return {
    developerToken: box.token,
    baseUrl: box.baseUrl,
    uploadUrl: box.uploadUrl,
    oauth2Url: box.oauth2Url,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 2_000,
    ...overrides,
  };
}

/** A backend on the test server. */
export async function createBox(overrides: BoxConfigInput = {}): Promise<BoxStorage> {
  const { parseBackendConfig } = await import("@themis/core");
  return (await boxBackend.create(parseBackendConfig(boxBackend, boxConfig(overrides)))) as BoxStorage;
}

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${box.baseUrl}/__control/${path}`, {
    method,
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

// The shared server serves every test file of the package at once: a file clears only the
// faults it added (each file loads this module anew, so each gets its own owner).
const FAULT_OWNER = randomUUID();

/** The test server's control endpoint: fault injection and the request log. */
export const server = {
  fault: (rule: FaultRule) => control("POST", "faults", { ...rule, owner: FAULT_OWNER }),
  clearFaults: () => control("DELETE", `faults?owner=${FAULT_OWNER}`),
  addApp: (app: BoxApp) => control("POST", "apps", app),
  /** Requests whose path matches `pattern`, in arrival order. */
  requests: async (pattern: RegExp): Promise<LoggedRequest[]> =>
    ((await (await control("GET", "log")).json()) as LoggedRequest[]).filter((r) => pattern.test(r.path)),
};

/** A Box API call made with plain fetch: what is really stored, without the SDK or the backend. */
async function api(path: string): Promise<Response> {
  return fetch(`${box.baseUrl}/2.0/${path}`, { headers: { authorization: `Bearer ${box.token}`, "x-stand-in-oracle": "1" } });
}

async function childId(folderId: string, name: string, type: "file" | "folder"): Promise<string | undefined> {
  let marker = "";
  for (;;) {
    const res = await api(`folders/${folderId}/items?usemarker=true&limit=1000${marker && `&marker=${marker}`}`);
    if (res.status === 404) return undefined;
    const page = (await res.json()) as { entries: { type: string; id: string; name: string }[]; next_marker?: string | null };
    const hit = page.entries.find((e) => e.type === type && e.name === name);
    if (hit) return hit.id;
    if (!page.next_marker) return undefined;
    marker = page.next_marker;
  }
}

/** Id of the file or folder at `path` (names) below `rootId`. */
export async function idAt(rootId: string, path: readonly string[]): Promise<string | undefined> {
  let id: string | undefined = rootId;
  for (const [i, name] of path.entries()) {
    id = await childId(id, name, i === path.length - 1 && name.endsWith(".csv") ? "file" : "folder");
    if (!id) return undefined;
  }
  return id;
}

/** The stored text of a table file, read over the API (download follows the 302). */
export async function storedCsv(project: string, kind: TableKind, table: string, rootId = "0"): Promise<string | undefined> {
  const id = await idAt(rootId, [project, kind === "dataset" ? "datasets" : "experiments", `${table}.csv`]);
  if (!id) return undefined;
  const res = await api(`files/${id}/content`);
  if (!res.ok) throw new Error(`download ${id}: ${res.status}`);
  return res.text();
}

/** Conformance oracle: row ids as stored in the CSV file on the server. */
export function oracle(rootId = "0"): StorageOracle {
  return {
    async rowIds(project, kind, table) {
      const text = await storedCsv(project, kind, table, rootId);
      return text === undefined ? undefined : parseCsv(text, { source: "oracle" }).rows.map((r) => r._row_id);
    },
  };
}

/** A fresh folder under the root, for tests that want their own corner of the account. */
export async function freshRoot(name: string): Promise<string> {
  const res = await fetch(`${box.baseUrl}/2.0/folders`, {
    method: "POST",
    headers: { authorization: `Bearer ${box.token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: `${name}-${Math.random().toString(36).slice(2, 10)}`, parent: { id: "0" } }),
  });
  if (res.status !== 201) throw new Error(`create folder: ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}
