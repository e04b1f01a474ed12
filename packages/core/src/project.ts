import type { ConfigFor } from "./backend-configs.js";
import { type StorageBackendDefinition, isBackendDefinition } from "./definition.js";
import { parseBackendConfig } from "./backend-config.js";
import { ClosedError } from "./errors.js";
import { defaultStorage } from "./config-file/defaults.js";
import { isInternalTableName, validateName } from "./names.js";
import { type Registry, defaultRegistry } from "./registry/registry.js";
import type { Row } from "./rows.js";
import type { OpenMode, ProjectStore, StorageBackend, TableKind } from "./storage/contract.js";
import { type Dataset, type Experiment, Table, type TableOptions } from "./storage/table.js";
import { claimsTable } from "./experiment/claims.js";
import { type ExperimentRunSummary, type RunExperimentOptions, runExperiment } from "./experiment/run-experiment.js";
import type { ProjectView } from "./experiment/project-view.js";

/**
 * Which storage to use: a backend name ("local/csv"), a URI ("redis://host:6379/0"), a
 * definition object, or a backend instance you created (then you close it yourself).
 */
export type StorageSpec = string | StorageBackend | StorageBackendDefinition;

/** Options of {@link Project.create} / {@link Project.open}. */
export interface ProjectOptions {
  /** Registry to resolve backend names with. Default: {@link defaultRegistry}. */
  registry?: Registry;
}

function isStorageBackend(value: unknown): value is StorageBackend {
  return typeof value === "object" && value !== null && typeof (value as StorageBackend).openProject === "function";
}

async function createStorage(
  spec: StorageSpec,
  config: Record<string, unknown> | undefined,
  registry: Registry,
): Promise<{ storage: StorageBackend; owned: boolean }> {
  if (isStorageBackend(spec)) return { storage: spec, owned: false };
  if (isBackendDefinition(spec)) {
    const def = spec as StorageBackendDefinition;
    return { storage: await def.create(parseBackendConfig(def, config ?? {})), owned: true };
  }
  return { storage: await registry.create("storage", spec, config ?? {}), owned: true };
}

/**
 * A project: named datasets (inputs) and experiments (results) on one storage backend.
 *
 * @example
 * ```ts
 * const project = await Project.create("my_project", "local/csv", { rootDir: "./data" });
 * const qa = await project.createDataset("qa");
 * await qa.append({ question: "2+2?", answer: "4" });
 * await project.close();
 * ```
 */
export class Project implements ProjectView {
  readonly name: string;
  /** The storage backend this project lives on. */
  readonly storage: StorageBackend;
  readonly #store: ProjectStore;
  readonly #owned: boolean;
  #closed = false;

  private constructor(name: string, storage: StorageBackend, store: ProjectStore, owned: boolean) {
    this.name = name;
    this.storage = storage;
    this.#store = store;
    this.#owned = owned;
  }

  static async #open(
    mode: OpenMode,
    name: string,
    backend: StorageSpec | undefined,
    config?: Record<string, unknown>,
    options: ProjectOptions = {},
  ): Promise<Project> {
    validateName("project", name);
    // No backend given: the themis config's "storage" (config, when given, overrides its options).
    const { storage, owned } =
      backend === undefined
        ? {
            storage: await defaultStorage({ ...(options.registry ? { registry: options.registry } : {}), ...(config ? { overrides: config } : {}) }),
            owned: true,
          }
        : await createStorage(backend, config, options.registry ?? defaultRegistry());
    try {
      return new Project(name, storage, await storage.openProject(name, mode), owned);
    } catch (error) {
      if (owned) await storage.close().catch(() => undefined);
      throw error;
    }
  }

  /** Create a new project. AlreadyExistsError when it exists. */
  static create<S extends StorageSpec>(name: string, backend?: S, config?: ConfigFor<S>, options?: ProjectOptions): Promise<Project> {
    return Project.#open("create", name, backend, config as Record<string, unknown> | undefined, options);
  }

  /** Open an existing project. NotFoundError when it does not exist. */
  static open<S extends StorageSpec>(name: string, backend?: S, config?: ConfigFor<S>, options?: ProjectOptions): Promise<Project> {
    return Project.#open("open", name, backend, config as Record<string, unknown> | undefined, options);
  }

  /** Open a project, creating it when it does not exist. */
  static openOrCreate<S extends StorageSpec>(name: string, backend?: S, config?: ConfigFor<S>, options?: ProjectOptions): Promise<Project> {
    return Project.#open("openOrCreate", name, backend, config as Record<string, unknown> | undefined, options);
  }

  #alive(): void {
    if (this.#closed) throw new ClosedError(`project "${this.name}" is closed`, { backend: this.storage.name });
  }

  readonly #isClosed = (): boolean => this.#closed;

  async #create<T extends Row>(kind: TableKind, name: string, options?: TableOptions<T>): Promise<Table<T>> {
    this.#alive();
    validateName(kind, name);
    return new Table<T>(kind, name, await this.#store.createTable(kind, name), this.storage.name, this.#isClosed, options);
  }

  async #get<T extends Row>(kind: TableKind, name: string, options?: TableOptions<T>): Promise<Table<T>> {
    this.#alive();
    validateName(kind, name);
    return new Table<T>(kind, name, await this.#store.openTable(kind, name), this.storage.name, this.#isClosed, options);
  }

  async #list(kind: TableKind): Promise<string[]> {
    this.#alive();
    return (await this.#store.listTables(kind)).filter((n) => !isInternalTableName(n));
  }

  async #delete(kind: TableKind, name: string): Promise<void> {
    this.#alive();
    validateName(kind, name);
    await this.#store.deleteTable(kind, name);
  }

  /** Create an empty dataset. AlreadyExistsError when it exists. */
  createDataset<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Dataset<T>> {
    return this.#create("dataset", name, options);
  }
  /** Open a dataset. NotFoundError when it does not exist. */
  getDataset<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Dataset<T>> {
    return this.#get("dataset", name, options);
  }
  /** Names of every dataset, sorted. */
  listDatasets(): Promise<string[]> {
    return this.#list("dataset");
  }
  /** Delete a dataset and its rows. NotFoundError when it does not exist. */
  deleteDataset(name: string): Promise<void> {
    return this.#delete("dataset", name);
  }

  /** Create an empty experiment. AlreadyExistsError when it exists. */
  createExperiment<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Experiment<T>> {
    return this.#create("experiment", name, options);
  }
  /** Open an experiment. NotFoundError when it does not exist. */
  getExperiment<T extends Row = Row>(name: string, options?: TableOptions<T>): Promise<Experiment<T>> {
    return this.#get("experiment", name, options);
  }
  /** Names of every experiment, sorted. */
  listExperiments(): Promise<string[]> {
    return this.#list("experiment");
  }
  /** Delete an experiment, its rows and its row claims. NotFoundError when it does not exist. */
  async deleteExperiment(name: string): Promise<void> {
    await this.#delete("experiment", name);
    await this.#deleteClaims(name);
  }

  /** Row claims of a deleted experiment would make runs of a new one by that name take every row over. */
  async #deleteClaims(experiment: string): Promise<void> {
    try {
      await this.#store.deleteTable("experiment", claimsTable(experiment));
    } catch (error) {
      if ((error as { code?: string }).code !== "ERR_THEMIS_NOT_FOUND") throw error;
    }
  }

  /**
   * @internal For core features (experiment runs) that keep their own tables, named
   * with the reserved "__" prefix that users cannot create.
   */
  async internalTable(kind: TableKind, name: string): Promise<Table> {
    this.#alive();
    if (!isInternalTableName(name)) throw new Error(`internal table names start with "__": ${name}`);
    try {
      return new Table(kind, name, await this.#store.openTable(kind, name), this.storage.name, this.#isClosed);
    } catch (error) {
      if ((error as { code?: string }).code !== "ERR_THEMIS_NOT_FOUND") throw error;
      try {
        return new Table(kind, name, await this.#store.createTable(kind, name), this.storage.name, this.#isClosed);
      } catch (createError) {
        // Another runner created it since: open theirs.
        if ((createError as { code?: string }).code !== "ERR_THEMIS_ALREADY_EXISTS") throw createError;
        return new Table(kind, name, await this.#store.openTable(kind, name), this.storage.name, this.#isClosed);
      }
    }
  }

  /**
   * Run `task` over every row of a dataset into an experiment table, appending each result
   * as it completes, with a run record, provenance and `resume`. See {@link runExperiment}.
   */
  runExperiment<I extends Row = Row, O = unknown>(options: RunExperimentOptions<I, O>): Promise<ExperimentRunSummary> {
    this.#alive();
    return runExperiment(this, options);
  }

  /** Close the project; closes the backend too when the project created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.storage.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
