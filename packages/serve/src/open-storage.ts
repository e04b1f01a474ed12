import { type Registry, type StorageBackend, type StorageBackendDefinition, defaultRegistry, parseBackendConfig } from "@themis/core";

/** How the server and the exporter are told about the storage. */
export interface StorageSpec {
  /**
   * The storage: a backend instance (left open: you close it), a definition, or a registry
   * name or URI ("local/csv", "redis://…") created with `config` (closed when done).
   */
  storage: string | StorageBackend | StorageBackendDefinition;
  /** The storage backend's config when `storage` is a name, URI or definition. */
  config?: Record<string, unknown>;
  /** Registry to find `storage` in (default: the backends installed next to this app). */
  registry?: Registry;
}

function isStorageBackend(value: unknown): value is StorageBackend {
  return typeof (value as StorageBackend).openProject === "function";
}

/** The storage backend of a spec, and whether the caller opened it (and so must close it). */
export async function openStorage(spec: StorageSpec): Promise<{ storage: StorageBackend; owned: boolean }> {
  const s = spec.storage;
  if (isStorageBackend(s)) return { storage: s, owned: false };
  if (typeof s !== "string") return { storage: await s.create(parseBackendConfig(s, spec.config ?? {})), owned: true };
  return { storage: await (spec.registry ?? defaultRegistry()).create("storage", s, spec.config ?? {}), owned: true };
}
