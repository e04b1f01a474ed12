import path from "node:path";
import {
  type BackendSectionKind,
  type BackendInstances,
  type ExecutionBackend,
  Registry,
  type ResolvedBackend,
  type StorageBackend,
  type ThemisConfig,
  loadConfig,
  maskUri,
  readConfigFile,
  resolveBackendConfig,
} from "@themis/core";
import { UsageError } from "./exit-codes.js";
import type { Output } from "./output.js";

/** Options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  cwd?: string;
}

/** A backend a command opened: close it when done. */
export interface OpenedBackend<K extends BackendSectionKind> {
  backend: BackendInstances[K];
  /** What to call it in messages: the name, or a masked URI. */
  label: string;
}

const BACKEND_FILE = /\.(ya?ml|json)$/i;

/**
 * What a command needs: the working folder, the themis config (loaded once, on first
 * use), a registry, and a way to open backends from `--storage`-like flags.
 */
export class CommandContext {
  readonly cwd: string;
  readonly out: Output;
  readonly #configFile: string | undefined;
  #config: Promise<ThemisConfig | undefined> | undefined;
  #registry: Registry | undefined;
  readonly #cleanups: (() => Promise<void>)[];

  constructor(options: GlobalOptions, out: Output, cleanups: (() => Promise<void>)[] = []) {
    this.cwd = path.resolve(options.cwd ?? process.cwd());
    this.out = out;
    this.#configFile = options.config;
    this.#cleanups = cleanups;
  }

  /** The themis config (`--config` or found from the working folder); undefined when none. Throws when invalid. */
  config(): Promise<ThemisConfig | undefined> {
    this.#config ??= loadConfig({
      cwd: this.cwd,
      ...(this.#configFile !== undefined ? { file: path.resolve(this.cwd, this.#configFile) } : {}),
    }).then((config) => {
      if (config) this.out.addSecrets(config.secretValues);
      return config;
    });
    return this.#config;
  }

  /** The config's registry when the config is valid, else one of the backends installed here. */
  async registry(): Promise<Registry> {
    if (this.#registry) return this.#registry;
    try {
      this.#registry = (await this.config())?.registry;
    } catch {
      // An invalid config must not stop commands that only read the registry (backends list).
    }
    this.#registry ??= new Registry({ cwd: this.cwd });
    return this.#registry;
  }

  /** The project named on the command line, else the config's `project`. */
  async project(given: string | undefined): Promise<string> {
    if (given) return given;
    const config = await this.config();
    if (config?.project) return config.project;
    throw new UsageError(`no project given: name it on the command line (see --help) or set "project" in the themis config`);
  }

  /**
   * Open a backend from a flag value: a backend config file (`*.yaml`, `*.json` with
   * `type:`), a name or URI (the config's options when the config names the same backend),
   * or, when `spec` is undefined, the config's default. `options` (from `--option k=v`)
   * override, validated together against the backend's schema.
   */
  async open<K extends BackendSectionKind>(kind: K, spec: string | undefined, options: Record<string, unknown> = {}): Promise<OpenedBackend<K>> {
    const { backend, label } = await this.resolve(kind, spec, options);
    const created = (await backend.definition.create(backend.config)) as BackendInstances[K];
    // Closed by main() whatever happens, so a failed command never leaves connections open.
    this.#cleanups.push(() => created.close());
    return { backend: created, label };
  }

  /** Resolve and validate, without creating it, the backend a flag value names (see {@link open}). */
  async resolve<K extends BackendSectionKind>(
    kind: K,
    spec: string | undefined,
    options: Record<string, unknown> = {},
  ): Promise<{ backend: ResolvedBackend<K>; label: string }> {
    const base = await this.#base(kind, spec, options);
    let backend = base.backend;
    if (!base.optionsApplied && Object.keys(options).length > 0) {
      // Relative paths given on the command line are relative to the working folder.
      backend = await resolveBackendConfig(
        { ...backend.input, ...options, type: backend.spec },
        { kind, dir: this.cwd, file: backend.file, registry: await this.registry() },
      );
    }
    this.out.addSecrets(backend.secretValues);
    return { backend, label: base.label };
  }

  async #base<K extends BackendSectionKind>(
    kind: K,
    spec: string | undefined,
    options: Record<string, unknown>,
  ): Promise<{ backend: ResolvedBackend<K>; label: string; optionsApplied?: boolean }> {
    const config = await this.config();
    const configured = config?.[kind] as ResolvedBackend<K> | undefined;
    const where = (file: string | undefined): string => (file ? path.relative(this.cwd, file) || file : "config");
    if (spec === undefined) {
      if (configured) return { backend: configured, label: `${maskUri(configured.spec)} (${where(configured.file)})` };
      if (kind === "storage") {
        throw new UsageError(
          'no storage backend given: pass --storage <name|uri|file>, or set "storage" in the themis config (see: themis backends create local/csv)',
        );
      }
      spec = "local";
    }
    // A backend name never ends in .yaml / .json: such a value is a file (missing: a clear error).
    if (BACKEND_FILE.test(spec)) {
      const doc = await readConfigFile(path.resolve(this.cwd, spec));
      const backend = await resolveBackendConfig(doc.raw, { kind, file: doc.file, registry: await this.registry() });
      return { backend, label: `${maskUri(backend.spec)} (${spec})` };
    }
    if (configured && (configured.spec === spec || configured.definition.name === spec)) {
      return { backend: configured, label: `${maskUri(configured.spec)} (${where(configured.file)})` };
    }
    const backend = await resolveBackendConfig({ ...options, type: spec }, { kind, dir: this.cwd, registry: await this.registry() });
    return { backend, label: maskUri(spec), optionsApplied: true };
  }

  async openStorage(spec: string | undefined, options?: Record<string, unknown>): Promise<OpenedBackend<"storage"> & { backend: StorageBackend }> {
    return this.open("storage", spec, options);
  }

  async openExecution(spec: string | undefined, options?: Record<string, unknown>): Promise<OpenedBackend<"execution"> & { backend: ExecutionBackend }> {
    return this.open("execution", spec, options);
  }
}
