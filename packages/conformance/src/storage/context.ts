import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect } from "vitest";
import { Project, type StorageBackend, type StoredRow, type TableKind } from "@themis/core";
import { type ResolvedStorageCapabilities, type ResolvedStorageSuiteOptions, resolveCapabilities } from "./options.js";

/** What every area of the storage suite works with: the backend under test and helpers. */
export interface StorageContext {
  readonly options: ResolvedStorageSuiteOptions;
  readonly caps: ResolvedStorageCapabilities;
  /** The backend the suite created for this run (valid inside tests). */
  backend(): StorageBackend;
  /** A random project name, `conf_<hex>`, deleted after the suite when it exists. */
  uniqueName(): string;
  /** Remember a project name to delete after the suite. */
  track(name: string): string;
  /** A new project on the suite's backend, closed after the suite. */
  fresh(): Promise<Project>;
  /** Row ids of rows, in order. */
  ids(rows: readonly StoredRow[]): string[];
  /** Expect `promise` to reject with an error of this `code`. */
  expectCode(promise: Promise<unknown>, code: string): Promise<void>;
  /** Open `project` on a second backend instance over the same store, run `use`, close both. */
  reopen<T>(project: string, use: (p: Project) => Promise<T>): Promise<T>;
  /** The oracle's row ids of a table, or undefined (also when there is no oracle). */
  oracleIds(project: Project, kind: TableKind, table: string): Promise<string[] | undefined>;
}

/**
 * Register the suite's setup and teardown in the current describe block (one backend for
 * every test; projects made by the tests are deleted at the end) and return the helpers.
 */
export function storageContext(options: ResolvedStorageSuiteOptions): StorageContext {
  let backend: StorageBackend | undefined;
  const made: string[] = [];
  const opened: Project[] = [];

  beforeAll(async () => {
    backend = await options.create();
  });
  afterAll(async () => {
    for (const p of opened) await p.close();
    if (!backend) return;
    // The close tests close their own backends; this one may be closed too: use a new one then.
    let cleaner = backend;
    const live = await cleaner.listProjects().catch(async () => {
      cleaner = await options.create();
      return cleaner.listProjects().catch(() => []);
    });
    const present = new Set(live);
    for (const name of made) if (present.has(name)) await cleaner.deleteProject(name).catch(() => undefined);
    await backend.close();
    if (cleaner !== backend) await cleaner.close();
  });

  const ctx: StorageContext = {
    options,
    caps: resolveCapabilities(options.capabilities),
    backend: () => {
      if (!backend) throw new Error("the storage suite's backend is not created yet");
      return backend;
    },
    uniqueName: () => ctx.track(`conf_${randomBytes(5).toString("hex")}`),
    track: (name) => {
      made.push(name);
      return name;
    },
    fresh: async () => {
      const p = await Project.create(ctx.uniqueName(), ctx.backend());
      opened.push(p);
      return p;
    },
    ids: (rows) => rows.map((r) => r._row_id),
    expectCode: async (promise, code) => {
      await expect(promise).rejects.toMatchObject({ code });
    },
    reopen: async (project, use) => {
      const other = await options.create();
      try {
        const p = await Project.open(project, other);
        try {
          return await use(p);
        } finally {
          await p.close();
        }
      } finally {
        await other.close();
      }
    },
    oracleIds: async (project, kind, table) => options.oracle?.rowIds(project.name, kind, table),
  };
  return ctx;
}
