import type { ZodType } from "zod";
import type { StorageBackend, StorageBackendImpl, StorageCapabilities } from "./storage/contract.js";
import { completeStorageBackend } from "./storage/complete.js";
import type { ExecutionBackend } from "./execution/contract.js";
import type { Postprocessor } from "./postprocess/contract.js";

/** The brand every backend definition carries; checked by value, never with `instanceof`. */
export const BACKEND_BRAND = "themis.backend" as const;

/** The contract version this core implements. A definition states the one it was built for. */
export const CONTRACT_VERSION = 1;

/** Contract versions this core can use. */
export const SUPPORTED_CONTRACT_VERSIONS: readonly number[] = [1];

export type BackendKind = "storage" | "execution" | "postprocess";

/** The kinds a themis config file has a section for (`storage:`, `execution:`); postprocessors are configured where they are used. */
export type BackendSectionKind = Exclude<BackendKind, "postprocess">;

/** Every backend kind, in a stable order. */
export const BACKEND_KINDS: readonly BackendKind[] = ["storage", "execution", "postprocess"];

/** What a backend of each kind creates. */
export interface BackendInstances {
  storage: StorageBackend;
  execution: ExecutionBackend;
  postprocess: Postprocessor;
}

/**
 * What a backend package exports: everything the registry needs to validate a config and
 * create the backend. Build one with {@link defineStorageBackend} or
 * {@link defineExecutionBackend} or {@link definePostprocessor}.
 */
// biome-ignore lint/suspicious/noExplicitAny: a definition of any config must be assignable to the default (config types are invariant in create())
export interface BackendDefinition<K extends BackendKind = BackendKind, Config = any> {
  readonly brand: typeof BACKEND_BRAND;
  /** The integer contract version the backend implements. */
  readonly contractVersion: number;
  /** Registry name, e.g. "local/csv", "redis". */
  readonly name: string;
  readonly kind: K;
  /** One line for `themis backends list`. */
  readonly description?: string;
  /** URI schemes (without "://") that select this backend, e.g. ["redis", "rediss"]. */
  readonly schemes?: readonly string[];
  /**
   * The config schema (zod 4): validation, defaults, types and JSON Schema all derive
   * from it. Mark secret fields with `.meta({ secret: true })` so they are redacted.
   */
  readonly configSchema: ZodType<Config>;
  /** Turn a URI of one of `schemes` into (unvalidated) config fields. */
  readonly configFromUri?: (uri: URL) => Record<string, unknown>;
  /** Create a backend from a validated config. */
  readonly create: (config: Config) => BackendInstances[K] | Promise<BackendInstances[K]>;
  /**
   * Execution backends whose jobs are pulled from a shared queue by long-running workers
   * (`themis worker`): start one worker on this machine. Resolves once it takes jobs.
   */
  readonly startWorker?: (config: Config, options: WorkerStartOptions) => Promise<BackendWorker>;
  /** What a storage backend declares about itself (read by `@themis/conformance`). */
  readonly capabilities?: K extends "storage" ? StorageCapabilities : never;
}

/** Options of {@link BackendDefinition.startWorker}. */
export interface WorkerStartOptions {
  /** Jobs run at once. */
  readonly concurrency?: number;
  /** Threads for module jobs, when the worker uses a thread pool. Default: `concurrency`. */
  readonly threads?: number;
  /** Stop after this many jobs. */
  readonly maxJobs?: number;
  /** Called on every state change of the worker (started, job started/finished, stopping...). */
  readonly onEvent?: (event: { readonly type: string; readonly [field: string]: unknown }) => void;
}

/** A running worker (see {@link BackendDefinition.startWorker}). */
export interface BackendWorker {
  /** Resolves once the worker has stopped. */
  readonly stopped: Promise<void>;
  /** Stop taking jobs; running ones finish first unless `force` (then they are handed back). */
  close(options?: { force?: boolean }): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: a definition of any config must be assignable to the default (config types are invariant in create())
export type StorageBackendDefinition<Config = any> = BackendDefinition<"storage", Config>;
// biome-ignore lint/suspicious/noExplicitAny: a definition of any config must be assignable to the default (config types are invariant in create())
export type ExecutionBackendDefinition<Config = any> = BackendDefinition<"execution", Config>;
// biome-ignore lint/suspicious/noExplicitAny: a definition of any config must be assignable to the default (config types are invariant in create())
export type PostprocessorDefinition<Config = any> = BackendDefinition<"postprocess", Config>;

type DefinitionInput<K extends BackendKind, Config> = Omit<BackendDefinition<K, Config>, "brand" | "contractVersion" | "kind">;

/** What {@link defineStorageBackend} takes: `create` may return a {@link StorageBackendImpl} (optional methods left out). */
export type StorageDefinitionInput<Config> = Omit<DefinitionInput<"storage", Config>, "create"> & {
  readonly create: (config: Config) => StorageBackendImpl | Promise<StorageBackendImpl>;
};

/**
 * Declare a storage backend. Export the result from the package's entry module. `create`
 * may leave out the contract's optional methods: the definition completes what it returns
 * with core's fallbacks (see `StorageBackendImpl`), so users always get a full backend.
 */
export function defineStorageBackend<Config>(input: StorageDefinitionInput<Config>): StorageBackendDefinition<Config> {
  const create = (config: Config): StorageBackend | Promise<StorageBackend> => {
    const made = input.create(config);
    // Kept synchronous when `create` is (callers may rely on it).
    return isPromiseLike(made) ? Promise.resolve(made).then(completeStorageBackend) : completeStorageBackend(made);
  };
  return Object.freeze({ ...input, create, brand: BACKEND_BRAND, contractVersion: CONTRACT_VERSION, kind: "storage" as const });
}

/** Declare an execution backend. Export the result from the package's entry module. */
export function defineExecutionBackend<Config>(input: DefinitionInput<"execution", Config>): ExecutionBackendDefinition<Config> {
  return Object.freeze({ ...input, brand: BACKEND_BRAND, contractVersion: CONTRACT_VERSION, kind: "execution" as const });
}

/**
 * Declare a postprocessor (a step run on finished results: summary, export, archive...).
 * Export the result from the package's entry module and list it in package.json:
 * `"themisBackends": { "my-step": { "kind": "postprocess", "entry": "./dist/index.js" } }`.
 */
export function definePostprocessor<Config>(
  input: Omit<DefinitionInput<"postprocess", Config>, "schemes" | "configFromUri" | "startWorker">,
): PostprocessorDefinition<Config> {
  return Object.freeze({ ...input, brand: BACKEND_BRAND, contractVersion: CONTRACT_VERSION, kind: "postprocess" as const });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** True when `value` carries the backend brand (any contract version). */
export function isBackendDefinition(value: unknown): value is BackendDefinition {
  return typeof value === "object" && value !== null && (value as { brand?: unknown }).brand === BACKEND_BRAND;
}

/**
 * Why `value` is not a usable definition, or undefined when it is. Checks shape only;
 * the contract version is checked separately so its error can say what to upgrade.
 */
export function definitionProblems(value: unknown): string[] {
  if (!isBackendDefinition(value)) return [`not a backend definition (missing brand "${BACKEND_BRAND}")`];
  const d = value as unknown as Record<string, unknown>;
  const problems: string[] = [];
  if (!Number.isInteger(d.contractVersion)) problems.push("contractVersion must be an integer");
  if (typeof d.name !== "string" || d.name.length === 0) problems.push("name must be a non-empty string");
  if (!BACKEND_KINDS.includes(d.kind as BackendKind)) problems.push(`kind must be one of ${BACKEND_KINDS.map((k) => `"${k}"`).join(", ")}`);
  if (typeof d.create !== "function") problems.push("create must be a function");
  const schema = d.configSchema as { safeParse?: unknown } | undefined;
  if (!schema || typeof schema.safeParse !== "function") problems.push("configSchema must be a zod schema");
  if (d.schemes !== undefined && (!Array.isArray(d.schemes) || d.schemes.some((s) => typeof s !== "string"))) {
    problems.push("schemes must be an array of strings");
  }
  return problems;
}
