import type { ExecutionBackend, JobKind } from "@themis/core";

/** What the suite needs to know about an executor beyond its declared kinds. */
export interface ExecutionCapabilities {
  /**
   * Command jobs run as processes of this host, so pids they print can be checked here for
   * orphans. Default: false (containers and remote workers have their own pid spaces:
   * give {@link ExecutionSuiteOptions.leftovers} instead).
   */
  hostProcesses?: boolean;
  /**
   * Extra time one job may take to start (a worker thread, a container), in ms: the timing
   * margins of the timeout tests grow with it. Default: 1000.
   */
  startupMs?: number;
  /** Working directory that exists where commands run. Default: the host's temp directory. */
  commandCwd?: string;
  /**
   * The executor implements the optional `describe()` (provenance facts for run records):
   * the suite then checks that it answers a non-empty JSON object without any of
   * {@link ExecutionSuiteOptions.secrets}. Default: false (the check is not run).
   */
  describes?: boolean;
}

/** The areas of the execution suite, each a group of tests that can run on its own. */
export const EXECUTION_AREAS = ["basics", "jobs", "timeouts", "modules", "commands", "orphans", "close"] as const;

/** One area of the execution suite: see {@link EXECUTION_AREAS}. */
export type ExecutionArea = (typeof EXECUTION_AREAS)[number];

/** Options of {@link executionSuite}. */
export interface ExecutionSuiteOptions {
  /** Label shown in test names, usually the backend name. */
  name: string;
  /** A new executor. The suite closes each one it creates. */
  create: () => ExecutionBackend | Promise<ExecutionBackend>;
  /** The job kinds the executor must declare (and run). */
  kinds: readonly JobKind[];
  /**
   * For module jobs: the suite writes its fixture module (plain ESM JavaScript) and a
   * fixture package into a fresh host directory and asks this function for the path the
   * executor sees for a host path inside it (a file or that directory), e.g. a path inside
   * a container where the directory is mounted. Default: the host path itself.
   */
  modulePath?: (hostPath: string) => string;
  /** Directory the fixtures are written to (it must be visible to the executor). Default: a new temp dir. */
  fixtureDir?: string;
  /**
   * Counts what the executor still has running for the suite's jobs (processes,
   * containers). Used by the no-orphans tests when pids are not visible on this host.
   */
  leftovers?: () => Promise<number>;
  capabilities?: ExecutionCapabilities;
  /**
   * Canary values the test put into the executor's config (tokens, passwords, labels):
   * none may appear in what `describe()` answers. Used with `capabilities.describes`.
   */
  secrets?: readonly string[];
  /** Run only these areas (default: all of {@link EXECUTION_AREAS}). */
  areas?: readonly ExecutionArea[];
  /** Skip the whole suite with this reason (e.g. the engine is not running). */
  skip?: string | false;
  /** Per-test timeout in ms. Default: 30 s. A job that is not stopped outlives it. */
  timeout?: number;
}
