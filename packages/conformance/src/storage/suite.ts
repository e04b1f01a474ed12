import { describe } from "vitest";
import { type TableStoreImpl, completeTableStore } from "@themis/core/backend";
import { closeTests } from "./close.js";
import { concurrencyTests } from "./concurrency.js";
import { type StorageContext, storageContext } from "./context.js";
import { handleTests } from "./handles.js";
import { nameTests } from "./names.js";
import { STORAGE_AREAS, type StorageArea, type StorageSuiteOptions, resolveSuiteOptions } from "./options.js";
import { persistenceTests } from "./persistence.js";
import { projectTests } from "./projects.js";
import { roundTripTests } from "./round-trip.js";
import { rowTests } from "./rows.js";
import { tableStoreTests } from "./table-store.js";
import { tableTests } from "./tables.js";
import { validationTests } from "./validation.js";

const AREA_TESTS: Record<StorageArea, (ctx: StorageContext) => void> = {
  projects: projectTests,
  names: nameTests,
  tables: tableTests,
  handles: handleTests,
  rows: rowTests,
  "round-trip": roundTripTests,
  validation: validationTests,
  concurrency: concurrencyTests,
  persistence: persistenceTests,
  close: closeTests,
  "table-store": (ctx) =>
    tableStoreTests({
      table: async () => {
        const project = await ctx.backend().openProject(ctx.uniqueName(), "create");
        return project.createTable("dataset", "raw");
      },
    }),
};

/**
 * Register the storage conformance suite with vitest. Call it from a test file, with a
 * backend made through its definition (so its config is validated and defaulted as users
 * get it):
 *
 * ```ts
 * import { parseBackendConfig } from "@themis/core";
 * import { storageSuite } from "@themis/conformance";
 * storageSuite({ name: "my-backend", create: () => myBackend.create(parseBackendConfig(myBackend, { ... })) });
 * ```
 *
 * `areas` runs a subset (see {@link STORAGE_AREAS}).
 */
export function storageSuite(options: StorageSuiteOptions): void {
  const block = options.skip ? describe.skip : describe;
  const title = `storage conformance: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`;
  const areas = new Set(options.areas ?? STORAGE_AREAS);
  block(title, { timeout: options.timeout ?? 30_000 }, () => {
    const ctx = storageContext(resolveSuiteOptions(options));
    for (const area of STORAGE_AREAS) if (areas.has(area)) AREA_TESTS[area](ctx);
  });
}

/** Options of {@link tableStoreSuite}. */
export interface TableStoreSuiteOptions {
  /** Label shown in test names. */
  name: string;
  /** A new, empty table each call (the suite never deletes it: use a fresh store). */
  createTable: () => TableStoreImpl | Promise<TableStoreImpl>;
  /** Skip the whole suite with this reason. */
  skip?: string | false;
  /** Per-test timeout in ms. Default 30 s. */
  timeout?: number;
}

/**
 * The raw table tier: the {@link TableStore} contract alone, for a backend whose project
 * layer does not exist yet. The full {@link storageSuite} runs the same tests (area
 * "table-store") on tables its backend creates.
 */
export function tableStoreSuite(options: TableStoreSuiteOptions): void {
  const block = options.skip ? describe.skip : describe;
  block(`table store conformance: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`, { timeout: options.timeout ?? 30_000 }, () => {
    tableStoreTests({ table: async () => completeTableStore(await options.createTable()) });
  });
}
