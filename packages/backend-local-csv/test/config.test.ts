import path from "node:path";
import { describe, expect, it } from "vitest";
import { Registry, parseBackendConfig, resolveConfig } from "@themis/core";
import { DEFAULT_ROOT_DIR, localCsvBackend } from "../src/index.js";

describe("local/csv config", () => {
  it("defaults every field, so {} works", () => {
    expect(parseBackendConfig(localCsvBackend, {})).toMatchObject({ rootDir: DEFAULT_ROOT_DIR });
  });

  it("a relative rootDir in a themis config file resolves against that file's folder", async () => {
    const registry = new Registry({ discover: false }).register(localCsvBackend);
    const file = path.join(path.sep, "srv", "app", "themis.config.yaml");
    const config = await resolveConfig({ storage: { type: "local/csv", rootDir: "data" } }, { file, registry });
    expect((config.storage?.config as { rootDir: string } | undefined)?.rootDir).toBe(path.join(path.sep, "srv", "app", "data"));
  });

  it("rejects unknown options and bad values with the field path", () => {
    expect(() => parseBackendConfig(localCsvBackend, { rootdir: "x" })).toThrow(
      expect.objectContaining({
        code: "ERR_THEMIS_INVALID_CONFIG",
        issues: [expect.objectContaining({ path: "rootdir", message: expect.stringContaining('did you mean "rootDir"') })],
      }),
    );
    expect(() => parseBackendConfig(localCsvBackend, { lockStaleMs: 5 })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: "lockStaleMs" })] }),
    );
  });

  it("rejects durations a timer cannot hold (above 2^31-1 ms, which Node fires after 1 ms)", () => {
    for (const key of ["lockStaleMs", "lockTimeoutMs"]) {
      expect(() => parseBackendConfig(localCsvBackend, { [key]: 1e13 })).toThrow(
        expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: key })] }),
      );
    }
    expect(parseBackendConfig(localCsvBackend, { lockStaleMs: 2 ** 31 - 1 })).toMatchObject({ lockStaleMs: 2 ** 31 - 1 });
  });
});
