// Runner processes of the claims suite (see runner.ts) and what their marker file says.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(import.meta.url);
/**
 * The runner script next to this module: runner.js in dist/ (an installed package), runner.ts
 * in src/ (this repository's tests load the sources; Node strips the types).
 */
export const RUNNER_SCRIPT = path.join(path.dirname(HERE), `runner${path.extname(HERE)}`);

/** What one runner process does (runner.ts reads it from env THEMIS_CLAIMS_JOB). */
export interface RunnerJob {
  /** File URL of the backend module. */
  backend: string;
  /** The export of that module that is the backend's definition. */
  exportName: string;
  /** The backend's raw config. */
  config: Record<string, unknown>;
  /** The marker file the runner appends its run id and started rows to. */
  marker: string;
  /** The runner's name in the marker file. */
  tag: string;
  heartbeatMs: number;
  /** How long each row's task takes. */
  delayMs: number;
  concurrency: number;
  /**
   * How far the runner's wall clock is off, in ms (ahead when positive): the runner shifts
   * `Date` by it before core loads, as on a machine with a badly set clock. Default 0.
   */
  clockOffsetMs?: number;
  /**
   * The host name the runner reports (`os.hostname()`, set before core loads), as a runner on
   * another machine would: its run record then names that host, so the other runners cannot
   * see its process end and judge it by its heartbeat alone. Default: this host's.
   */
  host?: string;
}

/** How a runner process ended. */
export interface RunnerEnd {
  out: string;
  err: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A runner process: `ready` resolves once its project is open, `exited` when it ends. */
export interface Runner {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<RunnerEnd>;
}

/** Start a runner process with this job. */
export function startRunner(job: RunnerJob): Runner {
  const child = spawn(process.execPath, [RUNNER_SCRIPT], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, THEMIS_CLAIMS_JOB: JSON.stringify(job) },
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<RunnerEnd>((resolve) => child.on("close", (code, signal) => resolve({ out, err, code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.startsWith("ready\n")) resolve();
    });
    // A runner that dies before it is ready (a backend that cannot load) fails the test at
    // once, with its stderr, instead of at the test's timeout.
    void exited.then((end) => reject(new Error(`runner exited before it was ready (code ${end.code}, signal ${end.signal}):\n${end.err}`)));
  });
  return { child, ready, exited };
}

/** What the marker file says: run id of each tag, and the rows each tag started (in order, repeats kept). */
export interface Marks {
  runOf: Map<string, string>;
  rowsOf: Map<string, string[]>;
  /** How many times each row was started, all runners together. */
  starts: Map<string, number>;
}

export function readMarks(marker: string): Marks {
  const marks: Marks = { runOf: new Map(), rowsOf: new Map(), starts: new Map() };
  for (const line of readFileSync(marker, "utf8").split("\n")) {
    const [kind, tag, id] = line.split(" ");
    if (tag === undefined || id === undefined) continue;
    if (kind === "run") marks.runOf.set(tag, id);
    else if (kind === "row") {
      marks.rowsOf.set(tag, [...(marks.rowsOf.get(tag) ?? []), id]);
      marks.starts.set(id, (marks.starts.get(id) ?? 0) + 1);
    }
  }
  return marks;
}

/** Rows started more than once. */
export function rowsRunTwice(marks: Marks): string[] {
  return [...marks.starts].filter(([, n]) => n > 1).map(([id]) => id);
}
