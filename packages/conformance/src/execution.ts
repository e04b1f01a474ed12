import { readFileSync } from "node:fs";
import { mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutionBackend, type Job, type JobKind, type MapOptions, type MapOutcome, type Task, map } from "@themis/core";

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
}

/** Options of {@link executionSuite}. */
export interface ExecutionSuiteOptions {
  /** Label shown in test names, usually the backend name. */
  name: string;
  /** A new executor. The suite closes each one it creates. */
  create: () => ExecutionBackend | Promise<ExecutionBackend>;
  /** The job kinds the executor must declare (and run). */
  kinds: readonly JobKind[];
  /**
   * For module jobs: the suite writes its fixture module (plain ESM JavaScript) into a
   * fresh host directory and asks this function for the specifier the executor loads it
   * by, e.g. a path inside a container where that directory is mounted. Default: the host
   * path itself.
   */
  modulePath?: (hostPath: string) => string;
  /** Directory the fixture module is written to (it must be visible to the executor). Default: a new temp dir. */
  fixtureDir?: string;
  /**
   * Counts what the executor still has running for the suite's jobs (processes,
   * containers). Used by the no-orphans tests when pids are not visible on this host.
   */
  leftovers?: () => Promise<number>;
  capabilities?: ExecutionCapabilities;
  /** Skip the whole suite with this reason (e.g. the engine is not running). */
  skip?: string | false;
  /** Per-test timeout in ms. Default: 30 s. A job that is not stopped outlives it. */
  timeout?: number;
}

/** The fixture module every module-kind test calls. Plain JavaScript: it must load anywhere. */
const FIXTURE_MODULE = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function double(input) {
  if (input.delayMs) await sleep(input.delayMs);
  return { n: input.n * 2 };
}
export default async function (input) { return input; }
export async function doubleOrFail(input) {
  if (input.n === 1) {
    const error = new Error("fixture failure");
    error.code = "E_FIXTURE";
    throw error;
  }
  return { n: input.n * 2 };
}
export async function fail(input) {
  const error = new Error("fixture failure " + input.n);
  error.code = "E_FIXTURE";
  throw error;
}
export async function failRetryable() {
  const error = new Error("transient");
  error.code = "E_TRANSIENT";
  error.retryable = true;
  throw error;
}
export async function sleepLong() { await sleep(600000); return "woke"; }
export function spin() { for (;;) {} }
export function context(_input, context) { return { attempt: context.attempt, index: context.index }; }
export function big(input) { return "x".repeat(input.bytes); }
`;

/** `sh -c script` with positional args: the portable way to say things to every executor's shell. */
const sh = (script: string, ...args: string[]): Job => ({ kind: "command", argv: ["sh", "-c", script, "themis", ...args] });

function isDeadPid(pid: number): boolean {
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

async function collect<T>(iterable: AsyncIterable<MapOutcome<T>>): Promise<MapOutcome<T>[]> {
  const out: MapOutcome<T>[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

/** A task of kind `kind` that doubles `n` after `delayMs`, returning `{ n }`. */
type Builder = (kind: JobKind) => Task<{ n: number; delayMs?: number }, { n: number }>;

/**
 * The behaviour every execution backend must show, for each job kind it declares: results
 * and order, error outcomes, per-job timeouts, cancellation, retries decided by error
 * type, backpressure, unsupported kinds rejected before anything runs, commands' env /
 * cwd / stdin / exit codes, bounded output, and no orphan processes.
 *
 * ```ts
 * import { executionSuite } from "@themis/conformance";
 * executionSuite({ name: "docker", create: () => dockerBackend.create({...}), kinds: ["module", "command"] });
 * ```
 */
export function executionSuite(options: ExecutionSuiteOptions): void {
  const caps = options.capabilities ?? {};
  const startupMs = caps.startupMs ?? 1000;
  const testTimeout = options.timeout ?? 30_000;
  const has = (kind: JobKind): boolean => options.kinds.includes(kind);
  const describeSuite = options.skip ? describe.skip : describe;

  describeSuite(`execution conformance: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`, () => {
    let executor: ExecutionBackend;
    let fixtureDir: string;
    let ownFixtureDir = false;
    let moduleSpec: string;
    let cwd: string;

    beforeAll(async () => {
      if (options.fixtureDir) fixtureDir = options.fixtureDir;
      else {
        fixtureDir = await mkdtemp(path.join(tmpdir(), "themis-exec-conformance-"));
        ownFixtureDir = true;
      }
      const file = path.join(fixtureDir, "fixture.mjs");
      await writeFile(file, FIXTURE_MODULE);
      moduleSpec = options.modulePath ? options.modulePath(file) : file;
      cwd = caps.commandCwd ?? (await realpath(tmpdir()));
      executor = await options.create();
    }, testTimeout);

    afterAll(async () => {
      await executor?.close();
      if (ownFixtureDir) await rm(fixtureDir, { recursive: true, force: true });
    }, testTimeout);

    const opts = (extra: MapOptions = {}): MapOptions => ({ executor, ...extra });

    const mod = (exportName: string): Task => ({ kind: "module", module: moduleSpec, export: exportName });

    const doubler: Builder = (kind) => {
      switch (kind) {
        case "function":
          return async (input: { n: number; delayMs?: number }, { signal }) => {
            if (input.delayMs) await delay(input.delayMs, undefined, { signal });
            return { n: input.n * 2 };
          };
        case "module":
          return mod("double") as Task<{ n: number; delayMs?: number }, { n: number }>;
        case "command":
          return {
            kind: "command",
            command: (input: { n: number; delayMs?: number }) => ({
              argv: ["sh", "-c", 'sleep "$1"; echo "{\\"n\\": $2}"', "themis", String((input.delayMs ?? 0) / 1000), String(input.n * 2)],
              output: "json",
            }),
          };
      }
    };

    it("declares a name and its job kinds", () => {
      expect(typeof executor.name).toBe("string");
      expect(executor.name.length).toBeGreaterThan(0);
      expect([...executor.kinds].sort()).toEqual([...options.kinds].sort());
      expect(typeof executor.close).toBe("function");
    });

    it("rejects a job of an unknown kind with ERR_THEMIS_UNSUPPORTED", async () => {
      const result = await executor.run({ kind: "bogus" } as unknown as Job, { signal: new AbortController().signal, attempt: 1, index: 0 }).then(
        (r) => (r.ok ? undefined : r.error.code),
        (e: { code?: string }) => e.code,
      );
      expect(result).toBe("ERR_THEMIS_UNSUPPORTED");
    });

    for (const kind of ["function", "module", "command"] as const) {
      if (has(kind)) continue;
      it(`rejects ${kind} jobs before anything runs (not a declared kind)`, async () => {
        let read = 0;
        function* items() {
          for (;;) {
            read++;
            yield { n: read };
          }
        }
        const task = kind === "function" ? doubler("function") : kind === "module" ? mod("double") : doubler("command");
        let code: string | undefined;
        try {
          await collect(map(task as Task, items(), opts()));
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        expect(code).toBe("ERR_THEMIS_UNSUPPORTED");
        expect(read).toBe(0);
      });
    }

    for (const kind of options.kinds) {
      describe(`${kind} jobs`, () => {
        it("yields every result once with its input index; ordered follows input order", async () => {
          const items = [5, 1, 4, 0, 3, 2].map((d, n) => ({ n, delayMs: d * 40 }));
          const unordered = await collect(map(doubler(kind), items, opts({ concurrency: 3 })));
          expect(unordered.map((o) => o.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
          for (const o of unordered) {
            expect(o.ok, JSON.stringify(o)).toBe(true);
            if (o.ok) expect(o.value).toEqual({ n: o.index * 2 });
            expect(o.attempts).toBe(1);
            expect(o.durationMs).toBeGreaterThanOrEqual(0);
          }
          const ordered = await collect(map(doubler(kind), items, opts({ concurrency: 3, ordered: true })));
          expect(ordered.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5]);
          expect(ordered.map((o) => (o.ok ? o.value : undefined))).toEqual(items.map((i) => ({ n: i.n * 2 })));
        }, testTimeout);

        it("accepts arrays, iterables and async iterables", async () => {
          async function* asyncItems() {
            for (let n = 0; n < 3; n++) yield { n };
          }
          function* syncItems() {
            for (let n = 0; n < 3; n++) yield { n };
          }
          for (const input of [[{ n: 0 }, { n: 1 }, { n: 2 }], syncItems(), asyncItems()]) {
            const out = await collect(map(doubler(kind), input, opts({ ordered: true })));
            expect(out.map((o) => (o.ok ? o.value : o.error))).toEqual([{ n: 0 }, { n: 2 }, { n: 4 }]);
          }
        }, testTimeout);

        it("turns a failure into an error outcome (serializable, with a code) and goes on", async () => {
          const failing: Task =
            kind === "function"
              ? (input: { n: number }) => {
                  if (input.n === 1) throw Object.assign(new Error("fixture failure"), { code: "E_FIXTURE" });
                  return { n: input.n * 2 };
                }
              : kind === "module"
                ? mod("doubleOrFail")
                : { kind: "command", command: (i: { n: number }) => ({ argv: ["sh", "-c", i.n === 1 ? "echo oops >&2; exit 3" : `echo '{"n": ${i.n * 2}}'`], output: "json" as const }) };
          const out = await collect(map(failing, [{ n: 0 }, { n: 1 }, { n: 2 }], opts()));
          const byIndex = new Map(out.map((o) => [o.index, o]));
          expect(byIndex.get(0)?.ok).toBe(true);
          expect(byIndex.get(2)?.ok).toBe(true);
          const failure = byIndex.get(1)!;
          expect(failure.ok).toBe(false);
          if (!failure.ok) {
            expect(failure.error.code).toBe(kind === "command" ? "ERR_THEMIS_JOB_FAILED" : "E_FIXTURE");
            expect(typeof failure.error.message).toBe("string");
            expect(failure.error.retryable).toBe(false);
            expect(failure.attempts).toBe(1);
            if (kind === "command") {
              expect(failure.exitCode).toBe(3);
              expect(failure.stderr?.text).toContain("oops");
            }
          }
          expect(JSON.parse(JSON.stringify(failure))).toEqual(failure);
        }, testTimeout);

        it("times out each job on its own: a slow job is stopped, later jobs get their own time", async () => {
          const timeout = 400 + startupMs;
          // One job at a time: if the timeout spanned the map, the jobs after the slow one would fail.
          const task = doubler(kind);
          const items = [{ n: 0, delayMs: 60_000 }, { n: 1, delayMs: 150 }, { n: 2, delayMs: 150 }, { n: 3, delayMs: 150 }];
          const out = await collect(map(task, items, opts({ concurrency: 1, timeout, ordered: true })));
          expect(out.map((o) => (o.ok ? "ok" : o.error.code))).toEqual(["ERR_THEMIS_TIMEOUT", "ok", "ok", "ok"]);
          expect(out[0]!.durationMs).toBeGreaterThanOrEqual(timeout - 50);
        }, testTimeout);

        it("cancels through the signal: running jobs are stopped, nothing more is read, the iterator ends", async () => {
          const controller = new AbortController();
          let read = 0;
          function* items() {
            for (;;) yield { n: read++, delayMs: 60_000 };
          }
          const seen: MapOutcome[] = [];
          setTimeout(() => controller.abort(new Error("user cancelled")), 300 + startupMs / 2);
          for await (const o of map(doubler(kind), items(), opts({ concurrency: 2, signal: controller.signal }))) seen.push(o);
          expect(read).toBeLessThanOrEqual(2);
          expect(seen.length).toBeLessThanOrEqual(2);
          for (const o of seen) {
            expect(o.ok).toBe(false);
            if (!o.ok) expect(o.error.code).toBe("ERR_THEMIS_ABORTED");
          }
        }, testTimeout);

        it("retries errors marked retryable (backoff), never the others", async () => {
          const retries = { retries: 2, minDelayMs: 1, maxDelayMs: 5 };
          if (kind === "function") {
            let calls = 0;
            const flaky = async (_: unknown, c: { attempt: number }) => {
              calls++;
              if (c.attempt < 3) throw Object.assign(new Error("transient"), { code: "E_TRANSIENT", retryable: true });
              return "ok";
            };
            const [o] = await collect(map(flaky, [1], opts({ retries })));
            expect(o!.ok).toBe(true);
            expect(o!.attempts).toBe(3);
            expect(calls).toBe(3);
            const [p] = await collect(map(() => Promise.reject(Object.assign(new Error("permanent"), { code: "E_PERMANENT" })), [1], opts({ retries })));
            expect(p!.attempts).toBe(1);
            return;
          }
          const retryable: Task = kind === "module" ? mod("failRetryable") : { kind: "command", command: () => ({ argv: ["sh", "-c", "exit 75"] }) };
          const permanent: Task = kind === "module" ? mod("fail") : { kind: "command", command: () => ({ argv: ["sh", "-c", "exit 1"] }) };
          // Commands: the exit code says "temporary failure" (EX_TEMPFAIL), decided by retryOn.
          const retryOn = kind === "command" ? { retryOn: (_e: unknown, f: { exitCode?: number | null }) => f.exitCode === 75 } : {};
          const [o] = await collect(map(retryable, [{ n: 1 }], opts({ retries: { ...retries, ...retryOn } })));
          expect(o!.ok).toBe(false);
          expect(o!.attempts).toBe(3);
          if (!o!.ok && kind === "module") {
            expect(o!.error.code).toBe("E_TRANSIENT");
            expect(o!.error.retryable).toBe(true);
          }
          const [p] = await collect(map(permanent, [{ n: 1 }], opts({ retries: { ...retries, ...retryOn } })));
          expect(p!.ok).toBe(false);
          expect(p!.attempts).toBe(1);
        }, testTimeout);

        it("reads no more input than it has room to run (backpressure, infinite input)", async () => {
          let read = 0;
          let closed = false;
          function* infinite() {
            try {
              for (;;) yield { n: read++ };
            } finally {
              closed = true;
            }
          }
          const concurrency = 3;
          let taken = 0;
          for await (const o of map(doubler(kind), infinite(), opts({ concurrency }))) {
            expect(o.ok).toBe(true);
            if (++taken === 8) break;
          }
          expect(read).toBeLessThanOrEqual(taken + concurrency);
          expect(closed).toBe(true);
        }, testTimeout);
      });
    }

    if (has("function")) {
      it("function jobs: a timed-out function sees its signal aborted", async () => {
        let abortedWith: unknown;
        const task = (_: unknown, { signal }: { signal: AbortSignal }) =>
          new Promise((_r, reject) =>
            signal.addEventListener("abort", () => {
              abortedWith = signal.reason;
              reject(signal.reason);
            }),
          );
        const [o] = await collect(map(task, [1], opts({ timeout: 100 })));
        expect(o!.ok).toBe(false);
        expect((abortedWith as { code?: string }).code).toBe("ERR_THEMIS_TIMEOUT");
      }, testTimeout);

      it("function jobs: never more than `concurrency` at once (1 when the executor says maxConcurrency 1)", async () => {
        let now = 0;
        let max = 0;
        const task = async () => {
          now++;
          max = Math.max(max, now);
          await new Promise((r) => setTimeout(r, 20));
          now--;
        };
        await collect(map(task, Array.from({ length: 12 }, (_, i) => i), opts({ concurrency: 3 })));
        expect(max).toBe(Math.min(3, executor.maxConcurrency ?? 3));
      }, testTimeout);
    }

    if (has("module")) {
      it("module jobs: a CPU-bound job that never returns is stopped by its timeout and the pool keeps working", async () => {
        const [o] = await collect(map(mod("spin"), [null], opts({ timeout: 300 + startupMs })));
        expect(o!.ok).toBe(false);
        if (!o!.ok) expect(o!.error.code).toBe("ERR_THEMIS_TIMEOUT");
        const after = await collect(map(doubler("module"), [{ n: 21 }], opts()));
        expect(after[0]!.ok && after[0]!.value).toEqual({ n: 42 });
      }, testTimeout);

      it("module jobs: the export gets attempt and index; a missing export is an error outcome", async () => {
        const out = await collect(map(mod("context"), [null, null], opts({ ordered: true })));
        expect(out.map((o) => (o.ok ? o.value : o.error))).toEqual([
          { attempt: 1, index: 0 },
          { attempt: 1, index: 1 },
        ]);
        const [missing] = await collect(map(mod("noSuchExport"), [null], opts()));
        expect(missing!.ok).toBe(false);
      }, testTimeout);
    }

    if (has("command")) {
      describe("command jobs", () => {
        const runOne = async (job: Job, extra: MapOptions = {}) => {
          const [o] = await collect(map({ kind: "command", command: () => job as Omit<Extract<Job, { kind: "command" }>, "kind"> }, [null], opts(extra)));
          return o!;
        };

        it("passes env, cwd and stdin; no shell unless asked", async () => {
          const env = await runOne({ kind: "command", argv: ["sh", "-c", 'printf %s "$THEMIS_SUITE_VAR"'], env: { THEMIS_SUITE_VAR: "v a l" } });
          expect(env.ok && env.value).toBe("v a l");
          const dir = await runOne({ kind: "command", argv: ["pwd"], cwd });
          expect(dir.ok && (dir.value as string).trim()).toBe(cwd);
          const input = await runOne({ kind: "command", argv: ["cat"], stdin: "line 1\nline 2\n" });
          expect(input.ok && input.value).toBe("line 1\nline 2\n");
          const literal = await runOne({ kind: "command", argv: ["echo", "$HOME", "; echo injected"] });
          expect(literal.ok && literal.value).toBe("$HOME ; echo injected\n");
          const shell = await runOne({ kind: "command", argv: ['echo "$1" | tr a-z A-Z', "a b"], shell: true });
          expect(shell.ok && shell.value).toBe("A B\n");
        }, testTimeout);

        it("inheritEnv: false starts from an empty environment", async () => {
          const out = await runOne({ kind: "command", argv: ["/bin/sh", "-c", 'printf %s "${THEMIS_SUITE_ONLY:-}|${THEMIS_SUITE_PARENT:-unset}"'], env: { THEMIS_SUITE_ONLY: "1" }, inheritEnv: false });
          expect(out.ok && out.value).toBe("1|unset");
        }, testTimeout);

        it("reports exit codes; okExitCodes and output: json", async () => {
          const three = await runOne(sh("exit 3"));
          expect(three.ok).toBe(false);
          expect(three.exitCode).toBe(3);
          if (!three.ok) expect(three.error.code).toBe("ERR_THEMIS_JOB_FAILED");
          const allowed = await runOne({ kind: "command", argv: ["sh", "-c", "echo fine; exit 3"], okExitCodes: [0, 3] });
          expect(allowed.ok && allowed.value).toBe("fine\n");
          expect(allowed.exitCode).toBe(3);
          const json = await runOne({ kind: "command", argv: ["echo", '{"a": [1, "1", null]}'], output: "json" });
          expect(json.ok && json.value).toEqual({ a: [1, "1", null] });
          const notJson = await runOne({ kind: "command", argv: ["echo", "not json"], output: "json" });
          expect(notJson.ok).toBe(false);
          const missing = await runOne({ kind: "command", argv: ["themis-no-such-program-xyz"] });
          expect(missing.ok).toBe(false);
        }, testTimeout);

        it("keeps large outputs bounded and marked truncated, without failing", async () => {
          const bytes = 4 * 1024 * 1024;
          const out = await runOne({
            kind: "command",
            argv: ["sh", "-c", `yes abcdefgh | head -c ${bytes}; yes ijklmnop | head -c ${bytes} >&2`],
            maxOutputBytes: 64 * 1024,
          });
          expect(out.ok).toBe(true);
          expect(out.stdout?.truncated).toBe(true);
          expect(out.stdout?.bytes).toBe(bytes);
          expect(Buffer.byteLength(out.stdout!.text)).toBe(64 * 1024);
          expect(out.stderr?.truncated).toBe(true);
          expect(out.stderr?.bytes).toBe(bytes);
          const small = await runOne({ kind: "command", argv: ["echo", "hi"] });
          expect(small.stdout).toEqual({ text: "hi\n", bytes: 3, truncated: false });
        }, testTimeout);

        it("leaves no orphan processes: a timed-out command's whole process tree is killed", async () => {
          const out = await runOne(sh("sleep 60 & echo $!; (sleep 60 & echo $!; wait) & echo $$; wait"), { timeout: 800 + startupMs });
          expect(out.ok).toBe(false);
          if (!out.ok) expect(out.error.code).toBe("ERR_THEMIS_TIMEOUT");
          if (caps.hostProcesses) {
            const pids = (out.stdout?.text ?? "").split(/\s+/).filter(Boolean).map(Number);
            expect(pids.length).toBe(3);
            for (const pid of pids) expect(isDeadPid(pid), `pid ${pid} survived`).toBe(true);
          }
          if (options.leftovers) expect(await options.leftovers()).toBe(0);
        }, testTimeout);

        it("leaves no orphan processes: background processes do not outlive a finished command", async () => {
          const out = await runOne(sh("sleep 60 >/dev/null 2>&1 & echo $!"));
          expect(out.ok).toBe(true);
          if (caps.hostProcesses) {
            const pid = Number((out.stdout?.text ?? "").trim());
            expect(pid).toBeGreaterThan(0);
            expect(isDeadPid(pid), `pid ${pid} survived`).toBe(true);
          }
          if (options.leftovers) expect(await options.leftovers()).toBe(0);
        }, testTimeout);

        it("leaves no orphan processes: cancelling kills running commands", async () => {
          const controller = new AbortController();
          const outcomes: MapOutcome[] = [];
          const task: Task = { kind: "command", command: () => ({ argv: ["sh", "-c", "sleep 60 & echo $!; echo $$; wait"] }) };
          setTimeout(() => controller.abort(), 400 + startupMs / 2);
          for await (const o of map(task, [1, 2], opts({ concurrency: 2, signal: controller.signal }))) outcomes.push(o);
          expect(outcomes.length).toBeGreaterThan(0);
          for (const o of outcomes) {
            expect(o.ok).toBe(false);
            if (!o.ok) expect(o.error.code).toBe("ERR_THEMIS_ABORTED");
            if (caps.hostProcesses) {
              for (const pid of (o.stdout?.text ?? "").split(/\s+/).filter(Boolean).map(Number)) expect(isDeadPid(pid), `pid ${pid} survived`).toBe(true);
            }
          }
          if (options.leftovers) expect(await options.leftovers()).toBe(0);
        }, testTimeout);
      });
    }
  });
}
