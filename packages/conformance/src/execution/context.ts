import { readFileSync } from "node:fs";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { type ExecutionBackend, type Job, type JobKind, type MapOptions, type MapOutcome, type Task, map } from "@themis/core";
import { writeFixtures } from "./fixture-module.js";
import type { ExecutionSuiteOptions } from "./options.js";

/** A task of kind `kind` that doubles `n` after `delayMs`, returning `{ n }`. */
export type Doubler = (kind: JobKind) => Task<{ n: number; delayMs?: number }, { n: number }>;

/** What every area of the execution suite works with: the executor under test and helpers. */
export interface ExecutionContext {
  readonly options: ExecutionSuiteOptions;
  readonly startupMs: number;
  readonly testTimeout: number;
  readonly hostProcesses: boolean;
  has(kind: JobKind): boolean;
  /** The suite's executor (valid inside tests). */
  executor(): ExecutionBackend;
  /** Host directory holding the fixtures. */
  fixtureDir(): string;
  /** `fixtureDir` as the executor sees it. */
  executorPath(hostPath: string): string;
  /** Working directory that exists where commands run. */
  cwd(): string;
  /** Map options on the suite's executor. */
  opts(extra?: MapOptions): MapOptions;
  /** A module task calling an export of the fixture module. */
  mod(exportName: string): Task;
  doubler: Doubler;
}

/** Every outcome of a map, in the order yielded. */
export async function collectOutcomes<T>(iterable: AsyncIterable<MapOutcome<T>>): Promise<MapOutcome<T>[]> {
  const out: MapOutcome<T>[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

/** `sh -c script` with positional args: the portable way to say things to every executor's shell. */
export const sh = (script: string, ...args: string[]): Job => ({ kind: "command", argv: ["sh", "-c", script, "themis", ...args] });

/** Run one command job through `map` and return its outcome. */
export async function runOne(ctx: ExecutionContext, job: Job, extra: MapOptions = {}): Promise<MapOutcome> {
  const [o] = await collectOutcomes(map({ kind: "command", command: () => job as Omit<Extract<Job, { kind: "command" }>, "kind"> }, [null], ctx.opts(extra)));
  return o!;
}

/** True when no process has this pid any more (a zombie counts as gone). */
export function isDeadPid(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  // A zombie has exited and only waits to be collected by its parent.
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      return state === "Z" || state === "X";
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * Expect every pid a job printed (whitespace-separated, `count` of them when given) to be
 * gone, on executors whose processes are this host's, and `leftovers()` to be 0.
 */
export async function expectNoOrphans(ctx: ExecutionContext, printed: string | undefined, count?: number): Promise<void> {
  if (ctx.hostProcesses) {
    const pids = (printed ?? "").split(/\s+/).filter(Boolean).map(Number);
    if (count !== undefined) expect(pids.length).toBe(count);
    for (const pid of pids) expect(isDeadPid(pid), `pid ${pid} survived`).toBe(true);
  }
  if (ctx.options.leftovers) expect(await ctx.options.leftovers()).toBe(0);
}

/** Register setup (fixtures, executor) and teardown in the current describe block; return the helpers. */
export function executionContext(options: ExecutionSuiteOptions): ExecutionContext {
  const caps = options.capabilities ?? {};
  const testTimeout = options.timeout ?? 30_000;
  let executor: ExecutionBackend | undefined;
  let fixtureDir = "";
  let moduleSpec = "";
  let cwd = "";
  let ownFixtureDir = false;

  beforeAll(async () => {
    if (options.fixtureDir) fixtureDir = options.fixtureDir;
    else {
      fixtureDir = await mkdtemp(path.join(tmpdir(), "themis-exec-conformance-"));
      ownFixtureDir = true;
    }
    moduleSpec = ctx.executorPath(await writeFixtures(fixtureDir));
    cwd = caps.commandCwd ?? (await realpath(tmpdir()));
    executor = await options.create();
  }, testTimeout);

  afterAll(async () => {
    await executor?.close();
    if (ownFixtureDir) await rm(fixtureDir, { recursive: true, force: true });
  }, testTimeout);

  const ctx: ExecutionContext = {
    options,
    startupMs: caps.startupMs ?? 1000,
    testTimeout,
    hostProcesses: caps.hostProcesses ?? false,
    has: (kind) => options.kinds.includes(kind),
    executor: () => {
      if (!executor) throw new Error("the execution suite's executor is not created yet");
      return executor;
    },
    fixtureDir: () => fixtureDir,
    executorPath: (hostPath) => (options.modulePath ? options.modulePath(hostPath) : hostPath),
    cwd: () => cwd,
    opts: (extra = {}) => ({ executor: ctx.executor(), ...extra }),
    mod: (exportName) => ({ kind: "module", module: moduleSpec, export: exportName }),
    doubler: (kind) => {
      switch (kind) {
        case "function":
          return async (input: { n: number; delayMs?: number }, { signal }) => {
            if (input.delayMs) await delay(input.delayMs, undefined, { signal });
            return { n: input.n * 2 };
          };
        case "module":
          return ctx.mod("double") as Task<{ n: number; delayMs?: number }, { n: number }>;
        case "command":
          return {
            kind: "command",
            command: (input: { n: number; delayMs?: number }) => ({
              argv: ["sh", "-c", 'sleep "$1"; echo "{\\"n\\": $2}"', "themis", String((input.delayMs ?? 0) / 1000), String(input.n * 2)],
              output: "json",
            }),
          };
      }
    },
  };
  return ctx;
}
