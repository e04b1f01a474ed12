// Hostile input: a server that accepts connections and never answers, and durations past
// Node's timer limit. No Box server needed.
import { Project, Registry, parseBackendConfig } from "@themis/core";
import { startSilentServer } from "@themis/conformance";
import { describe, expect, it } from "vitest";
import { boxBackend } from "../src/index.js";

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
      expect(() => parseBackendConfig(boxBackend, { [field]: 3e9 })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: field })] }));
    }
    expect(parseBackendConfig(boxBackend, {}).timeoutMs).toBe(120_000);
  });
});
