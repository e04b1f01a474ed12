// The public surface of each entry point, in types (checked by `pnpm typecheck`) and at run
// time: users import from "@themis/core", authors from "@themis/core/backend", config
// tooling from "@themis/core/config".
import * as root from "@themis/core";
import * as backend from "@themis/core/backend";
import type { ProjectStore, StorageBackend, StorageBackendImpl, StorageCapabilities, TableStore, TableStoreImpl } from "@themis/core/backend";
import * as config from "@themis/core/config";
import type { BackendConfigs, ThemisConfig } from "@themis/core/config";
import { describe, expect, expectTypeOf, it } from "vitest";

describe("@themis/core/backend", () => {
  it("holds the contracts' runtime parts, the definition helpers, the errors and the toolkit", () => {
    for (const name of [
      "defineStorageBackend",
      "defineExecutionBackend",
      "completeStorageBackend",
      "completeTableStore",
      "backendError",
      "ClosedGuard",
      "GroupCommitQueue",
      "retryTransient",
      "planChanges",
      "resolveModuleJob",
      "IdSet",
      "commandJobResult",
      "NotFoundError",
      "ROW_ID",
      "seededRandom",
      "appendOwned",
    ]) {
      expect(typeof (backend as Record<string, unknown>)[name], name).not.toBe("undefined");
    }
  });

  it("shares its values with the root entry (one copy of each class: instanceof works across entries)", () => {
    expect(backend.NotFoundError).toBe(root.NotFoundError);
    expect(backend.defineStorageBackend).toBe(root.defineStorageBackend);
  });

  it("types: an Impl may leave out the optional methods; the complete types have them", () => {
    expectTypeOf<TableStoreImpl>().toHaveProperty("entries");
    expectTypeOf<TableStoreImpl["load"]>().toEqualTypeOf<(() => Promise<backend.StoredRow[]>) | undefined>();
    expectTypeOf<TableStore["load"]>().toEqualTypeOf<() => Promise<backend.StoredRow[]>>();
    expectTypeOf<StorageBackendImpl["close"]>().toEqualTypeOf<(() => Promise<void>) | undefined>();
    expectTypeOf<StorageBackend>().toMatchTypeOf<StorageBackendImpl>();
    expectTypeOf<ReturnType<ProjectStore["openTable"]>>().toEqualTypeOf<Promise<TableStore>>();
    expectTypeOf(backend.completeStorageBackend).returns.toEqualTypeOf<StorageBackend>();
    expectTypeOf<StorageCapabilities>().toHaveProperty("handlesById");
    expectTypeOf(backend.backendError).parameter(0).toEqualTypeOf<backend.FailureKind>();
    expectTypeOf(backend.retryTransient<number>).returns.toEqualTypeOf<Promise<number>>();
  });
});

describe("@themis/core/config", () => {
  it("holds config files and backend configs", () => {
    for (const name of ["loadConfig", "defineConfig", "resolveConfig", "parseBackendConfig", "redactConfig", "configJsonSchema", "substituteEnv"]) {
      expect(typeof (config as Record<string, unknown>)[name], name).toBe("function");
    }
    expect(config.parseBackendConfig).toBe(root.parseBackendConfig);
  });

  it("types: the config types users write", () => {
    expectTypeOf<BackendConfigs>().toHaveProperty("memory");
    expectTypeOf(config.defineConfig).parameter(0).not.toBeAny();
    expectTypeOf<ThemisConfig>().not.toBeAny();
  });
});

describe("@themis/core (users)", () => {
  it("keeps the user API and, for now, the author names (deprecated there)", () => {
    for (const name of ["Project", "map", "runExperiment", "memoryBackend", "defineStorageBackend"]) {
      expect(typeof (root as Record<string, unknown>)[name], name).not.toBe("undefined");
    }
  });
});
