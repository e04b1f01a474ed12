import { parseBackendConfig } from "../backend-config.js";
import type { BackendInstances, BackendKind } from "../definition.js";
import { InvalidConfigError } from "../errors.js";
import type { ExecutionBackend } from "../execution/contract.js";
import { type Registry, defaultRegistry } from "../registry/registry.js";
import type { StorageBackend } from "../storage/contract.js";
import type { ResolvedBackend } from "./config-types.js";
import { loadConfig } from "./load-config.js";
import { resolvePathFields } from "./path-fields.js";
import { CONFIG_SEARCH_PLACES } from "./search-places.js";

/** Options of {@link defaultStorage} / {@link defaultExecution}. */
export interface DefaultBackendOptions {
  /** Folder to search the config from. Default: process.cwd(). */
  cwd?: string;
  /** Resolve backend names with this registry instead of one built from the config. */
  registry?: Registry;
  /** Options that override the config's (validated together against the backend's schema). */
  overrides?: Record<string, unknown>;
}

async function createFrom<K extends BackendKind>(backend: ResolvedBackend<K>, overrides: Record<string, unknown> | undefined): Promise<BackendInstances[K]> {
  if (!overrides || Object.keys(overrides).length === 0) return backend.definition.create(backend.config);
  const parsed = parseBackendConfig(backend.definition, resolvePathFields(backend.definition, { ...backend.input, ...overrides }, backend.dir), backend.file);
  return backend.definition.create(
    typeof parsed === "object" && parsed !== null ? resolvePathFields(backend.definition, parsed as Record<string, unknown>, backend.dir) : parsed,
  );
}

/**
 * The storage backend the themis config names (`storage:`), created. This is what
 * `Project.open(name)` uses when no backend is given.
 *
 * @throws InvalidConfigError when there is no config or it names no storage; the
 * config's own validation errors (file, field path, reason) otherwise.
 */
export async function defaultStorage(options: DefaultBackendOptions = {}): Promise<StorageBackend> {
  const config = await loadConfig({ ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.registry ? { registry: options.registry } : {}) });
  if (!config?.storage) {
    const where = config?.file
      ? `${config.file} has no "storage"`
      : `no themis config found from ${options.cwd ?? process.cwd()} up to the project root (looked for ${CONFIG_SEARCH_PLACES.slice(0, 8).join(", ")}, .themisrc*, "themis" in package.json)`;
    throw new InvalidConfigError(
      `no storage backend given and ${where}. Pass one, e.g. Project.open("name", "local/csv", { rootDir: "./data" }), or add "storage: local/csv" to themis.config.yaml`,
      [],
    );
  }
  return createFrom(config.storage, options.overrides);
}

/**
 * The execution backend the themis config names (`execution:`), created; the built-in
 * "local" executor when the config names none (or there is no config).
 */
export async function defaultExecution(options: DefaultBackendOptions = {}): Promise<ExecutionBackend> {
  const config = await loadConfig({ ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.registry ? { registry: options.registry } : {}) });
  if (config?.execution) return createFrom(config.execution, options.overrides);
  const registry = options.registry ?? config?.registry;
  return (registry ?? defaultRegistry()).create("execution", "local", options.overrides ?? {});
}
