import type { BackendDefinition, BackendInstances, BackendKind } from "../definition.js";
import type { Registry } from "../registry/registry.js";

/**
 * One backend in a config: its registry name or a URI in `type`, its options beside it
 * (validated against that backend's own schema). The same shape as a backend config file
 * (`themis backends create <name>` writes one).
 */
export interface BackendConfigInput {
  /** Backend name ("local/csv") or URI ("redis://localhost:6379/0"). */
  type: string;
  [option: string]: unknown;
}

/** What a themis config file holds (`themis.config.*`, `.themisrc*`, or `"themis"` in package.json). */
export interface ThemisConfigInput {
  /** JSON Schema URL for editors; ignored. */
  $schema?: string;
  /** Default project for the CLI (`themis datasets ls` without a project). */
  project?: string;
  /** Default storage: a backend name, a URI, or `{ type, ...options }`. Used by `Project.open(name)`. */
  storage?: string | BackendConfigInput;
  /** Default execution backend: a name or `{ type, ...options }`. Without one: the built-in "local". */
  execution?: string | BackendConfigInput;
  /** Which installed backends to use: `allow` only these, or `skip` these (e.g. a broken one). */
  backends?: { allow?: string[]; skip?: string[] };
}

/** Identity function that types a `themis.config.ts` / `.js` default export. */
export function defineConfig(config: ThemisConfigInput): ThemisConfigInput {
  return config;
}

/** A backend selected by a config, its options validated against its own schema. */
export interface ResolvedBackend<K extends BackendKind = BackendKind> {
  kind: K;
  /** The backend as written: a name or a URI. */
  spec: string;
  definition: BackendDefinition<K>;
  /** The options given (URI fields, `${env:}` substituted, paths resolved), before defaults. */
  input: Record<string, unknown>;
  /** The validated config with defaults: what the backend's `create` receives. */
  config: unknown;
  /** Option paths whose value came from `${env:...}`, each with its text as written. */
  fromEnv: ReadonlyMap<string, string>;
  /** Values that must never be printed (values of secret fields, URI passwords). */
  secretValues: readonly string[];
  /** The file the config came from, if any. */
  file: string | undefined;
  /** Folder relative path options resolve against (the file's folder). */
  dir: string;
}

/** A loaded and validated themis config. */
export interface ThemisConfig {
  /** Absolute path of the config file; undefined when the config was given in code. */
  file: string | undefined;
  /** Folder relative paths resolve against (the config file's folder). */
  dir: string;
  project: string | undefined;
  storage: ResolvedBackend<"storage"> | undefined;
  execution: ResolvedBackend<"execution"> | undefined;
  backends: { allow?: string[]; skip?: string[] };
  /** The registry the backends were resolved with (honours `backends.allow` / `skip`). */
  registry: Registry;
  /** Every value that must never be printed. */
  secretValues: readonly string[];
}

/** Create the backend a resolved config selects. */
export async function createBackend<K extends BackendKind>(backend: ResolvedBackend<K>): Promise<BackendInstances[K]> {
  return backend.definition.create(backend.config);
}
