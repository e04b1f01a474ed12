import { type StorageBackendDefinition, type TableKind, parseBackendConfig } from "@themis/core";
import { type StorageBackend, type StorageBackendImpl, completeStorageBackend } from "@themis/core/backend";

/**
 * Raw probes of what really reached the store, read without going through the backend
 * (the CSV file itself, the Redis keys, the S3 objects).
 */
export interface StorageOracle {
  /** Row ids of a table in stored order, or undefined when the table does not exist in the store. */
  rowIds(project: string, kind: TableKind, table: string): Promise<string[] | undefined>;
}

/** What a backend can do; tests for missing capabilities are skipped. */
export interface StorageCapabilities {
  /** Data survives closing the backend and creating a new one. Default true. */
  persistent?: boolean;
  /** Largest string value the backend must round-trip. Default 1 MiB. */
  largeValueBytes?: number;
  /**
   * The store cannot keep two names apart that differ only in case (Box, a
   * case-insensitive file system): creating the second must then fail with
   * ALREADY_EXISTS instead of merging the two. Default false: "Data" and "data" are two
   * tables.
   */
  caseInsensitiveNames?: boolean;
  /**
   * Handles hold the identity of what they opened (Box: a file or folder id), not its
   * name: after a table or project is deleted and created again, an older handle keeps
   * failing with NOT_FOUND instead of acting on the new one. Default false (handles
   * address by name, like keys and paths).
   */
  handlesById?: boolean;
}

/** The areas of the storage suite, each a group of tests that can run on its own. */
export const STORAGE_AREAS = [
  "projects",
  "names",
  "tables",
  "handles",
  "rows",
  "round-trip",
  "validation",
  "concurrency",
  "persistence",
  "close",
  "table-store",
] as const;

/** One area of the storage suite: see {@link STORAGE_AREAS}. */
export type StorageArea = (typeof STORAGE_AREAS)[number];

/** Options of {@link storageSuite}. */
export interface StorageSuiteOptions {
  /** Label shown in test names, usually the backend name. */
  name: string;
  /**
   * The backend's definition: the suite creates each instance as users get it, from
   * `config` validated and defaulted by the definition's schema, and reads the
   * definition's `capabilities`. Give this or `create`.
   */
  definition?: StorageBackendDefinition;
  /** The config `definition` is created with (raw, as a user writes it). Default `{}`. */
  config?: Record<string, unknown>;
  /**
   * A new backend instance over the same store each time it is called (the suite calls
   * it again to check that data persists across close and reopen, and to test close).
   * Every test uses its own project, with a random name, so the store need not be empty.
   * Default: from `definition` and `config`. Optional methods left out get core's fallbacks.
   */
  create?: () => StorageBackendImpl | Promise<StorageBackendImpl>;
  oracle?: StorageOracle;
  /** Overrides the definition's `capabilities`, and adds the suite's own (`largeValueBytes`). */
  capabilities?: StorageCapabilities;
  /**
   * Run only these areas (default: all of {@link STORAGE_AREAS}), e.g. while a backend
   * is being written, or to rerun one concern quickly.
   */
  areas?: readonly StorageArea[];
  /** Skip the whole suite with this reason (e.g. the server is not running). */
  skip?: string | false;
  /** Per-test timeout in ms for slow stores. Default 30 s. */
  timeout?: number;
}

/** Capabilities with their defaults filled in. */
export type ResolvedStorageCapabilities = Required<StorageCapabilities>;

export function resolveCapabilities(caps: StorageCapabilities | undefined): ResolvedStorageCapabilities {
  return { persistent: true, largeValueBytes: 1024 * 1024, caseInsensitiveNames: false, handlesById: false, ...caps };
}

/** Suite options with `create` decided: it always returns a complete backend. */
export type ResolvedStorageSuiteOptions = Omit<StorageSuiteOptions, "create"> & { create: () => Promise<StorageBackend> };

/** Decide `create` (from `definition` + `config` unless given) and the capabilities. */
export function resolveSuiteOptions(options: StorageSuiteOptions): ResolvedStorageSuiteOptions {
  const { definition, config, create } = options;
  const make = create ?? (definition ? () => definition.create(parseBackendConfig(definition, config ?? {})) : undefined);
  if (!make) throw new Error(`storage suite "${options.name}": give a "definition" (with its "config") or a "create" function`);
  return {
    ...options,
    capabilities: { ...definition?.capabilities, ...options.capabilities },
    create: async () => completeStorageBackend(await make()),
  };
}
