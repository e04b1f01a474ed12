import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** A fixture script running in its own Node process, with its stdout lines. */
export class Worker {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(script: string, job: unknown) {
    this.child = spawn(process.execPath, [path.join(fixtures, script)], {
      env: { ...process.env, THEMIS_S3_JOB: JSON.stringify(job) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    let rest = "";
    this.child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    this.child.stdout!.on("data", (d: Buffer) => {
      rest += d.toString();
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.match(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    this.exited = new Promise((resolve) => this.child.on("close", (code, signal) => resolve({ code, signal, stderr })));
  }

  /** The first line (already seen or to come) that matches. */
  waitFor(match: (line: string) => boolean): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Exit normally or fail with its stderr. */
  async succeeded(): Promise<void> {
    const { code, signal, stderr } = await this.exited;
    if (code !== 0) throw new Error(`${this.child.spawnargs.at(-1)} exited with ${code ?? signal}:\n${stderr}`);
  }
}
