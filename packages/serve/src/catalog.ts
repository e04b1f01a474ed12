import { Project, type ProjectStore, type RunRecord, type RunState, type StorageBackend, type Table, type TableKind, listRuns, runState } from "@themis/core";
import { HttpError } from "./http-error.js";
import { type ComparePage, type JoinedRuns, compareView, joinRuns, parseCompareQuery } from "./run-compare.js";

// Core keeps run records in this internal experiment table (see core's run-record.ts).
// Checked before listRuns, which would create the table: the browser never writes.
const RUNS_TABLE = "__runs";

/** A run record as the browser gets it: the stored fields, plus what the run is now as core decides it (`runState`: "stale" when a running run's heartbeat stopped). */
export type ShownRun = RunRecord & { state: RunState };

/** What the browser shows of a project: its tables, by kind. */
export interface ProjectSummary {
  name: string;
  datasets: string[];
  experiments: string[];
}

/**
 * The projects the server may show, opened once and kept open: one storage backend, and
 * either one named project or every project on it.
 */
export class Catalog {
  readonly storage: StorageBackend;
  readonly #only: string | undefined;
  readonly #projects = new Map<string, Promise<{ project: Project; store: ProjectStore }>>();

  constructor(storage: StorageBackend, only?: string) {
    this.storage = storage;
    this.#only = only;
  }

  /** Names of the projects shown. */
  async projectNames(): Promise<string[]> {
    return this.#only !== undefined ? [this.#only] : this.storage.listProjects();
  }

  async #open(name: string): Promise<{ project: Project; store: ProjectStore }> {
    if (this.#only !== undefined && name !== this.#only) throw new HttpError(404, "ERR_SERVE_NOT_FOUND", `project "${name}" is not served`);
    let opened = this.#projects.get(name);
    if (!opened) {
      opened = (async () => {
        // Project.open validates the name and fails with NotFoundError before anything else.
        const project = await Project.open(name, this.storage);
        return { project, store: await this.storage.openProject(name, "open") };
      })();
      opened.catch(() => this.#projects.delete(name));
      this.#projects.set(name, opened);
    }
    return opened;
  }

  /** A project's datasets and experiments. */
  async project(name: string): Promise<ProjectSummary> {
    const { project } = await this.#open(name);
    const [datasets, experiments] = await Promise.all([project.listDatasets(), project.listExperiments()]);
    return { name, datasets, experiments };
  }

  /** A dataset or an experiment of a project. */
  async table(projectName: string, kind: TableKind, name: string): Promise<Table> {
    const { project } = await this.#open(projectName);
    return kind === "dataset" ? project.getDataset(name) : project.getExperiment(name);
  }

  /** The run records of a project (newest first), or of one of its experiments. */
  async runs(projectName: string, experiment?: string): Promise<ShownRun[]> {
    const { project, store } = await this.#open(projectName);
    if (!(await store.listTables("experiment")).includes(RUNS_TABLE)) return [];
    // Judged here, on the server's clock, so every view shows what `themis runs` would.
    const now = Date.now();
    return (await listRuns(project, experiment)).reverse().map((run) => ({ ...run, state: runState(run, now) }));
  }

  /** One run record. */
  async run(projectName: string, runId: string): Promise<ShownRun> {
    const run = (await this.runs(projectName)).find((r) => r.run_id === runId);
    if (!run) throw new HttpError(404, "ERR_SERVE_NOT_FOUND", `no run "${runId}" in project "${projectName}"`);
    return run;
  }

  /** Two runs of a project compared (see {@link compareView}); `query` is the route's URL query. */
  async compare(projectName: string, query: Record<string, string>): Promise<ComparePage> {
    const parsed = parseCompareQuery(query);
    const { project, store } = await this.#open(projectName);
    // Core would create the runs table to look in it: the browser never writes.
    if (!(await store.listTables("experiment")).includes(RUNS_TABLE)) throw new HttpError(404, "ERR_SERVE_NOT_FOUND", `no runs in project "${projectName}"`);
    return compareView(project, parsed);
  }

  /** Two runs of a project compared in full (see {@link joinRuns}): for static exports. */
  async joined(projectName: string, a: string, b: string): Promise<JoinedRuns> {
    const { project } = await this.#open(projectName);
    return joinRuns(project, a, b);
  }

  /** Close the projects (not the storage: its owner closes it). */
  async close(): Promise<void> {
    const opened = [...this.#projects.values()];
    this.#projects.clear();
    await Promise.allSettled(opened.map(async (p) => (await p).project.close()));
  }
}
