// Worker processes for the tests: real child processes running the built startWorker,
// each printing its events as JSON lines.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BullmqConfigInput, WorkerEvent } from "../../src/index.ts";

const SCRIPT = fileURLToPath(new URL("./worker-process.mjs", import.meta.url));

/** One worker process and what it printed. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly events: WorkerEvent[] = [];
  readonly stderr: string[] = [];
  readonly #waiters: { test: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }[] = [];

  constructor(config: BullmqConfigInput, options: { concurrency?: number; maxJobs?: number; env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [SCRIPT, JSON.stringify({ config, concurrency: options.concurrency ?? 4, maxJobs: options.maxJobs })], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      let event: WorkerEvent;
      try {
        event = JSON.parse(line) as WorkerEvent;
      } catch {
        return;
      }
      this.events.push(event);
      for (const w of [...this.#waiters]) {
        if (w.test(event)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    });
    this.child.stderr!.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
  }

  /** The first event (past or future) that passes `test`. */
  next(test: (e: WorkerEvent) => boolean): Promise<WorkerEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ test, resolve });
      this.child.once("exit", (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before the event came:\n${this.stderr.join("")}`)));
    });
  }

  ready(): Promise<WorkerEvent> {
    return this.next((e) => e.type === "ready");
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Send `signal` and wait for the exit; resolves with the exit code (null when killed). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    const exit = once(this.child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    this.child.kill(signal);
    const [code] = await exit;
    return code;
  }
}

/** Start `count` worker processes on `config` and wait until each is ready. */
export async function startWorkers(
  config: BullmqConfigInput,
  count: number,
  options: { concurrency?: number; env?: Record<string, string> } = {},
): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: count }, () => new WorkerProcess(config, options));
  await Promise.all(workers.map((w) => w.ready()));
  return workers;
}

/** Stop every worker: SIGTERM (graceful), a second SIGTERM after 5 s (force), SIGKILL after 15 s. */
export async function stopWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.exited) return;
      const exit = once(w.child, "exit");
      w.child.kill("SIGTERM");
      const force = setTimeout(() => w.child.kill("SIGTERM"), 5_000);
      const kill = setTimeout(() => w.child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(force);
      clearTimeout(kill);
    }),
  );
}
