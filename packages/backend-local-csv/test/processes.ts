import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const WRITER = fileURLToPath(new URL("./fixtures/writer.ts", import.meta.url));

/** A writer child process and the ids it has acknowledged so far. */
export interface Writer {
  child: ChildProcess;
  acknowledged: string[];
  /** Fault points reached (`fault:<point>` lines, see `THEMIS_LOCAL_CSV_FAULT`). */
  events: string[];
  /** Resolves once the writer is ready and `n` ids were acknowledged (or the process ended). */
  waitFor(n: number): Promise<void>;
  /** Resolves once the process printed `event` (or ended). */
  waitForEvent(event: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export interface WriterArgs {
  rootDir: string;
  project: string;
  table: string;
  prefix: string;
  count: number;
  batchSize: number;
  payloadBytes: number;
  /** The writer's `lockStaleMs` (default 10 s). */
  lockStaleMs?: number;
  /** Extra environment, e.g. `{ THEMIS_LOCAL_CSV_FAULT: "takeover:5000" }`. */
  env?: Record<string, string>;
}

export function startWriter(args: WriterArgs): Writer {
  const argv = [args.rootDir, args.project, args.table, args.prefix, args.count, args.batchSize, args.payloadBytes, args.lockStaleMs ?? 10_000].map(String);
  const child = spawn(process.execPath, [WRITER, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...args.env } });
  const acknowledged: string[] = [];
  const events: string[] = [];
  let stderr = "";
  let partial = "";
  let waiters: { done: () => boolean; resolve: () => void }[] = [];
  let ended = false;
  let ready = false;
  const check = (): void => {
    waiters = waiters.filter((w) => {
      if (ended || w.done()) {
        w.resolve();
        return false;
      }
      return true;
    });
  };
  const wait = (done: () => boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      waiters.push({ done, resolve });
      check();
    });
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop()!; // only complete lines count as acknowledged
    for (const line of lines) {
      if (line === "ready") ready = true;
      else if (line.startsWith("fault:")) events.push(line);
      else if (line) acknowledged.push(line);
    }
    check();
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => {
      ended = true;
      check();
      resolve({ code, signal, stderr });
    });
  });
  return {
    child,
    acknowledged,
    events,
    exited,
    waitFor: (n) => wait(() => ready && acknowledged.length >= n),
    waitForEvent: (event) => wait(() => events.includes(event)),
  };
}
