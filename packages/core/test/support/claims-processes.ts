// Runner processes for the claims-break tests of local/csv, redis and s3 (see claims-runner.ts)
// and what their marker file says.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A deterministic sequence in [0, 1) for the kill moments: a failing seed can be rerun. */
export { seededRandom } from "../../src/experiment/stats.js";

const RUNNER = fileURLToPath(new URL("./claims-runner.ts", import.meta.url));

/** A runner process: resolves `ready` once its project is open, `exited` when it ends. */
export interface Runner {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<{ out: string; err: string; code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start a runner with this job (see claims-runner.ts). */
export function startRunner(job: Record<string, unknown>): Runner {
  const child = spawn(process.execPath, [RUNNER], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, THEMIS_CLAIMS_JOB: JSON.stringify(job) } });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const ready = new Promise<void>((resolve) =>
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.startsWith("ready\n")) resolve();
    }),
  );
  const exited = new Promise<Runner["exited"] extends Promise<infer T> ? T : never>((resolve) =>
    child.on("close", (code, signal) => resolve({ out, err, code, signal })),
  );
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
