// Hostile input: a server that accepts connections and never answers, a download that
// stalls midway, and durations past Node's timer limit.
import { Project, Registry, parseBackendConfig } from "@themis/core";
import { startSilentServer } from "@themis/conformance";
import { describe, expect, it } from "vitest";
import { boxBackend } from "../src/index.js";
import { createBox, idAt, server } from "./helpers.js";

describe("a server that accepts TCP and never answers", () => {
  it("Project.open fails after timeoutMs instead of hanging", async () => {
    const server = await startSilentServer();
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const registry = new Registry({ discover: false }).register(boxBackend);
      const config = { developerToken: "token-secret", baseUrl: base, uploadUrl: base, oauth2Url: base, timeoutMs: 300, requestRetries: 0 };
      const error = await Project.open("p", "box/csv", config, { registry }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
      expect(error?.message).not.toContain("token-secret");
      expect(server.connections).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

describe("durations", () => {
  it("refuses delays a Node timer cannot hold, and defaults timeoutMs", () => {
    for (const field of ["timeoutMs", "retryMaxDelayMs", "retryBaseDelayMs"]) {
      expect(() => parseBackendConfig(boxBackend, { [field]: 3e9 })).toThrow(
        expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: field })] }),
      );
    }
    expect(parseBackendConfig(boxBackend, {}).timeoutMs).toBe(120_000);
  });
});

describe("a download that stalls midway", () => {
  it("fails (UNAVAILABLE) after timeoutMs without data instead of hanging; the next read works", async () => {
    const name = `stall_${Math.random().toString(36).slice(2, 10)}`;
    const writer = await createBox();
    const project = await Project.create(name, writer);
    const ids = await (await project.createDataset("d")).appendMany(Array.from({ length: 50 }, (_, i) => ({ i, text: `row ${i}` })));
    await project.close();
    await writer.close();
    const fileId = (await idAt("0", [name, "datasets", "d.csv"]))!;
    const reader = await createBox({ timeoutMs: 500 });
    try {
      const table = await (await Project.open(name, reader)).getDataset("d");
      await server.fault({ method: "GET", path: `^/dl/${fileId}/`, stall: true, times: 1000 });
      await expect(table.load()).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
      await server.clearFaults();
      expect((await table.load()).map((r) => r._row_id)).toEqual(ids);
    } finally {
      await server.clearFaults();
      await reader.deleteProject(name).catch(() => undefined);
      await reader.close();
    }
  });
});
