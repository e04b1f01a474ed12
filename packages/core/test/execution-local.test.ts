import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExecutionBackend,
  type MapOutcome,
  OutputCapture,
  Registry,
  TimeoutError,
  UnavailableError,
  localBackend,
  map,
  sequentialBackend,
  toJobError,
} from "../dist/index.js";

const fixtures = fileURLToPath(new URL("./fixtures/exec/", import.meta.url));
const jobs = `${fixtures}jobs.mjs`;

async function collect<T>(iterable: AsyncIterable<MapOutcome<T>>): Promise<MapOutcome<T>[]> {
  const out: MapOutcome<T>[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

describe("local executor: module jobs", () => {
  let executor: ExecutionBackend;
  beforeAll(async () => {
    executor = await localBackend.create(localBackend.configSchema.parse({ maxThreads: 2 }));
  });
  afterAll(() => executor.close());

  const one = async (task: Parameters<typeof map>[0], input: unknown = null) => (await collect(map(task, [input], { executor })))[0]!;

  it("resolves a package specifier from resolveFrom with ESM rules (exports map, import condition)", async () => {
    const o = await one(
      { kind: "module", module: "themis-exec-fixture/score", export: "score", resolveFrom: `${fixtures}pkg` },
      { answer: "4", expected: "4" },
    );
    expect(o.ok && o.value).toEqual({ score: 1 });
  });

  it("resolves relative paths from resolveFrom and accepts file: URLs", async () => {
    const rel = await one({ kind: "module", module: "./jobs.mjs", export: "hash", resolveFrom: fixtures }, { seed: "a", rounds: 1 });
    expect(rel.ok && typeof rel.value).toBe("string");
    const url = await one({ kind: "module", module: pathToFileURL(jobs).href, export: "hash" }, { seed: "a", rounds: 1 });
    expect(url.ok && url.value).toBe(rel.ok && rel.value);
  });

  it("returns JSON: undefined becomes null, a Date its ISO string", async () => {
    expect(await one({ kind: "module", module: jobs, export: "nothing" })).toMatchObject({ ok: true, value: null });
    expect(await one({ kind: "module", module: jobs, export: "date" })).toMatchObject({ ok: true, value: { at: "1970-01-01T00:00:00.000Z" } });
  });

  it("a missing module, a missing export or a non-function export is an error outcome", async () => {
    const missing = await one({ kind: "module", module: `${fixtures}no-such-file.mjs` });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.code).toBe("ERR_MODULE_NOT_FOUND");
    const notFn = await one({ kind: "module", module: jobs, export: "notAFunction" });
    expect(notFn.ok).toBe(false);
    if (!notFn.ok) expect(notFn.error.code).toBe("ERR_THEMIS_INVALID_EXPORT");
  });

  it("a worker that exits is a JobFailedError outcome and the pool goes on", async () => {
    const dead = await one({ kind: "module", module: jobs, export: "exitWorker" });
    expect(dead.ok).toBe(false);
    if (!dead.ok) expect(dead.error.code).toBe("ERR_THEMIS_JOB_FAILED");
    const after = await one({ kind: "module", module: jobs, export: "hash" }, { seed: "b" });
    expect(after.ok).toBe(true);
  });

  it("runs module jobs on several worker threads at once", async () => {
    const task = { kind: "module", module: jobs, export: "sleepOnThread" } as const;
    // Warm up first: a thread that is still booting (slow on a loaded machine) would make
    // the second job wait, and that is not what this test is about.
    await collect(map(task, [{ ms: 1 }, { ms: 1 }, { ms: 1 }, { ms: 1 }], { executor, concurrency: 2 }));
    const out = await collect(map(task, [{ ms: 300 }, { ms: 300 }], { executor, concurrency: 2 }));
    const spans = out.map((o) => (o.ok ? (o.value as { threadId: number; start: number; end: number }) : undefined));
    expect(spans.every(Boolean)).toBe(true);
    const [a, b] = spans as { threadId: number; start: number; end: number }[];
    expect(a!.threadId).not.toBe(b!.threadId);
    expect(a!.threadId).toBeGreaterThan(0); // not the main thread
    expect(Math.max(a!.start, b!.start)).toBeLessThan(Math.min(a!.end, b!.end)); // they overlapped
  });
});

describe("local executor: jobs in flight beyond worker threads (tasksPerThread)", () => {
  it("runs 8 module jobs at once on one thread: concurrency is not capped by the thread count", async () => {
    const executor = await localBackend.create(localBackend.configSchema.parse({ maxThreads: 1, tasksPerThread: 8 }));
    try {
      const out = await collect(
        map(
          { kind: "module", module: jobs, export: "barrier" },
          Array.from({ length: 8 }, () => ({ n: 8 })),
          { executor, concurrency: 8 },
        ),
      );
      expect(out.map((o) => o.ok && (o.value as { reached: boolean }).reached)).toEqual(Array(8).fill(true));
    } finally {
      await executor.close();
    }
  });

  it("a job stopped (timeout) on a shared thread is really stopped; the jobs sharing its thread run again and succeed", async () => {
    const executor = await localBackend.create(localBackend.configSchema.parse({ maxThreads: 1, tasksPerThread: 4 }));
    try {
      // Three slow jobs share the only thread with one that hangs until its timeout
      // terminates the thread: the three fail with it unless they are run again.
      const slow = collect(
        map({ kind: "module", module: jobs, export: "sleepOnThread" }, [{ ms: 4000 }, { ms: 4000 }, { ms: 4000 }], { executor, concurrency: 3 }),
      );
      const hung = collect(map({ kind: "module", module: jobs, export: "barrier" }, [{ n: 1, hang: true }], { executor, timeout: 1500 }));
      expect((await hung)[0]).toMatchObject({ ok: false, error: { code: "ERR_THEMIS_TIMEOUT" } });
      expect((await slow).map((o) => o.ok)).toEqual([true, true, true]);
    } finally {
      await executor.close();
    }
  }, 60_000);
});

describe("local executor: command jobs on this host", () => {
  it("inherit this process' environment by default, with the job's env on top", async () => {
    process.env.THEMIS_TEST_PARENT_VAR = "from-parent";
    try {
      const [o] = await collect(
        map(
          {
            kind: "command",
            command: () => ({
              argv: ["sh", "-c", 'printf "%s|%s" "$THEMIS_TEST_PARENT_VAR" "$THEMIS_TEST_JOB_VAR"'],
              env: { THEMIS_TEST_JOB_VAR: "from-job" },
            }),
          },
          [null],
          {
            executor: "local",
          },
        ),
      );
      expect(o!.ok && o!.value).toBe("from-parent|from-job");
    } finally {
      delete process.env.THEMIS_TEST_PARENT_VAR;
    }
  });
});

describe("sequential executor", () => {
  it("runs module jobs one at a time whatever concurrency is asked", async () => {
    const executor = await sequentialBackend.create(sequentialBackend.configSchema.parse({}));
    try {
      const out = await collect(
        map({ kind: "module", module: jobs, export: "sleepOnThread" }, [{ ms: 100 }, { ms: 100 }, { ms: 100 }], { executor, concurrency: 8, ordered: true }),
      );
      const spans = out.map((o) => (o.ok ? (o.value as { start: number; end: number }) : { start: Number.NaN, end: Number.NaN }));
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    } finally {
      await executor.close();
    }
  });
});

describe("local and sequential executors: config and lifecycle", () => {
  it("are registered built-ins of kind execution", async () => {
    const registry = new Registry({ discover: false });
    const names = (await registry.list()).filter((b) => b.kind === "execution").map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(["local", "sequential"]));
    const seq = await registry.create("execution", "sequential", {});
    expect(seq.maxConcurrency).toBe(1);
    expect([...seq.kinds].sort()).toEqual(["command", "function", "module"]);
    await seq.close();
  });

  it("validate their config with field paths", async () => {
    const registry = new Registry({ discover: false });
    await expect(registry.create("execution", "local", { concurrency: 0 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    await expect(registry.create("execution", "local", { unknownOption: 1 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    await expect(registry.create("execution", "sequential", { concurrency: 4 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    const parsed = localBackend.configSchema.parse({});
    expect(parsed.concurrency).toBeGreaterThan(0);
    expect(parsed.maxOutputBytes).toBe(1024 * 1024);
  });

  it("refuse to run after close (ClosedError); close is idempotent", async () => {
    const executor = await sequentialBackend.create(sequentialBackend.configSchema.parse({}));
    await executor.close();
    await executor.close();
    await expect(
      executor.run({ kind: "function", fn: () => 1, input: null }, { signal: new AbortController().signal, attempt: 1, index: 0 }),
    ).rejects.toMatchObject({
      code: "ERR_THEMIS_CLOSED",
    });
  });
});

describe("execution building blocks", () => {
  it("OutputCapture keeps a byte budget, counts the rest, and never splits the count", () => {
    const capture = new OutputCapture(5);
    capture.push("abc");
    capture.push(Buffer.from("défgh"));
    capture.push("more");
    const result = capture.result();
    expect(result.bytes).toBe(3 + Buffer.byteLength("défgh") + 4);
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.text.replace(/\uFFFD/g, "x"))).toBeLessThanOrEqual(5);
    expect(result.text.startsWith("abcd")).toBe(true);
    expect(new OutputCapture(10).result()).toEqual({ text: "", bytes: 0, truncated: false });
  });

  it("toJobError keeps name, code, retryable flag and the cause chain; survives JSON", () => {
    const error = toJobError(new UnavailableError("down", { backend: "x", cause: Object.assign(new Error("socket"), { code: "ECONNRESET" }) }));
    expect(error).toMatchObject({
      name: "UnavailableError",
      code: "ERR_THEMIS_UNAVAILABLE",
      retryable: true,
      cause: { name: "Error", code: "ECONNRESET", retryable: false },
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual(error);
    expect(toJobError("a string")).toEqual({ name: "NonError", message: "a string", retryable: false });
    expect(toJobError({ weird: true })).toMatchObject({ name: "NonError", retryable: false });
    expect(toJobError(new TimeoutError(5)).code).toBe("ERR_THEMIS_TIMEOUT");
  });
});
