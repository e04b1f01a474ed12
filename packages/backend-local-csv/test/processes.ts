import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const WRITER = fileURLToPath(new URL("./fixtures/writer.ts", import.meta.url));

/** A writer child process and the ids it has acknowledged so far. */
export interface Writer {
  child: ChildProcess;
  acknowledged: string[];
  /** Resolves once the writer is ready and `n` ids were acknowledged (or the process ended). */
  waitFor(n: number): Promise<void>;
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
}

export function startWriter(args: WriterArgs): Writer {
  const child = spawn(
    process.execPath,
    [WRITER, args.rootDir, args.project, args.table, args.prefix, String(args.count), String(args.batchSize), String(args.payloadBytes)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const acknowledged: string[] = [];
  let stderr = "";
  let partial = "";
  let waiters: { n: number; resolve: () => void }[] = [];
  let ended = false;
  let ready = false;
  const check = (): void => {
    waiters = waiters.filter((w) => {
      if (ended || (ready && acknowledged.length >= w.n)) {
        w.resolve();
        return false;
      }
      return true;
    });
  };
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop()!; // only complete lines count as acknowledged
    for (const line of lines) {
      if (line === "ready") ready = true;
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
    exited,
    waitFor: (n) => new Promise<void>((resolve) => {
      waiters.push({ n, resolve });
      check();
    }),
  };
}
