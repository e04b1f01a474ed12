import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  type ExecutionBackend,
  type Job,
  type JobResult,
  type MapOutcome,
  type MapProgress,
  type RunContext,
  UnavailableError,
  defineExecutionBackend,
  localBackend,
  map,
  mapValues,
} from "../dist/index.js";
import { backoffDelay } from "../dist/index.js";
import { z } from "zod";

async function collect<T>(iterable: AsyncIterable<MapOutcome<T>>): Promise<MapOutcome<T>[]> {
  const out: MapOutcome<T>[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

const local = () => localBackend.create(localBackend.configSchema.parse({ concurrency: 4 }));

/** A contract-following executor that only runs module jobs, answering from a function. */
function moduleOnlyExecutor(answer: (job: Job, context: RunContext) => Promise<JobResult>): ExecutionBackend & { runs: number; closed: number } {
  return {
    name: "module-only",
    kinds: ["module"],
    concurrency: 2,
    runs: 0,
    closed: 0,
    async run<T>(job: Job, context: RunContext): Promise<JobResult<T>> {
      this.runs++;
      return (await answer(job, context)) as JobResult<T>;
    },
    async close() {
      this.closed++;
    },
  };
}

describe("map: unsupported kinds", () => {
  it("throws UnsupportedError from map() itself, before reading any input, for an executor instance", () => {
    const executor = moduleOnlyExecutor(async () => ({ ok: true, value: 1 }));
    let read = 0;
    const items = {
      *[Symbol.iterator]() {
        read++;
        yield 1;
      },
    };
    let code: string | undefined;
    try {
      map(async (x: number) => x, items, { executor });
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe("ERR_THEMIS_UNSUPPORTED");
    expect(read).toBe(0);
    expect(executor.runs).toBe(0);
  });

  it("rejects on the first next() for an executor created from a definition, and closes it", async () => {
    const instance = moduleOnlyExecutor(async () => ({ ok: true, value: 1 }));
    const definition = defineExecutionBackend({ name: "module-only", configSchema: z.object({}), create: () => instance });
    let read = 0;
    function* items() {
      read++;
      yield 1;
    }
    await expect(collect(map({ kind: "command", command: () => ({ argv: ["true"] }) }, items(), { execution: definition }))).rejects.toMatchObject({
      code: "ERR_THEMIS_UNSUPPORTED",
    });
    expect(read).toBe(0);
    expect(instance.closed).toBe(1);
  });

  it("runs through any contract-following executor and closes only executors it created", async () => {
    const instance = moduleOnlyExecutor(async (job) => ({ ok: true, value: (job as { input: number }).input * 10 }));
    const out = await mapValues({ kind: "module", module: "/nowhere.js" }, [1, 2, 3], { execution: instance });
    expect(out).toEqual([10, 20, 30]);
    expect(instance.closed).toBe(0);
    const definition = defineExecutionBackend({ name: "module-only", configSchema: z.object({}), create: () => instance });
    await mapValues({ kind: "module", module: "/nowhere.js" }, [1], { execution: definition });
    expect(instance.closed).toBe(1);
  });
});

describe("map: options are validated", () => {
  it("rejects a concurrency or timeout that is not positive, and negative retries", () => {
    expect(() => map(async () => 1, [1], { concurrency: 0 })).toThrow(RangeError);
    expect(() => map(async () => 1, [1], { concurrency: 1.5 })).toThrow(RangeError);
    expect(() => map(async () => 1, [1], { timeout: 0 })).toThrow(RangeError);
    expect(() => map(async () => 1, [1], { retries: -1 })).toThrow(RangeError);
  });
});

describe("map: retries", () => {
  it("decides by the retryable flag and never by message text", async () => {
    const executor = await local();
    try {
      let calls = 0;
      const [o] = await collect(
        map(
          () => {
            calls++;
            throw new Error("temporarily unavailable, please retry (retryable, transient, ECONNRESET)");
          },
          [1],
          { executor, retries: { retries: 3, minDelayMs: 1 } },
        ),
      );
      expect(o!.attempts).toBe(1);
      expect(calls).toBe(1);

      calls = 0;
      const [p] = await collect(
        map(
          () => {
            calls++;
            throw new UnavailableError("down");
          },
          [1],
          { executor, retries: { retries: 3, minDelayMs: 1 } },
        ),
      );
      expect(p!.attempts).toBe(4);
      expect(calls).toBe(4);
      if (!p!.ok) expect(p!.error.code).toBe("ERR_THEMIS_UNAVAILABLE");
    } finally {
      await executor.close();
    }
  });

  it("retryOn decides by code; timeouts are retried only when retryOn says so", async () => {
    const executor = await local();
    try {
      const attempts: number[] = [];
      const [o] = await collect(
        map(
          async (_: number, { attempt, signal }) => {
            attempts.push(attempt);
            if (attempt < 3) await delay(60_000, undefined, { signal });
            return attempt;
          },
          [1],
          { executor, timeout: 50, retries: { retries: 5, minDelayMs: 1, retryOn: (error) => error.code === "ERR_THEMIS_TIMEOUT" } },
        ),
      );
      expect(o!.ok && o!.value).toBe(3);
      expect(o!.attempts).toBe(3);
      expect(attempts).toEqual([1, 2, 3]);

      const [p] = await collect(
        map((_: number, { signal }) => delay(60_000, undefined, { signal }), [1], { executor, timeout: 50, retries: { retries: 5, minDelayMs: 1 } }),
      );
      expect(p!.attempts).toBe(1);
      if (!p!.ok) expect(p!.error.code).toBe("ERR_THEMIS_TIMEOUT");
    } finally {
      await executor.close();
    }
  });

  it("cancelling during a backoff ends the job as aborted", async () => {
    const executor = await local();
    try {
      const controller = new AbortController();
      const task = () => {
        setTimeout(() => controller.abort(), 20);
        throw new UnavailableError("down");
      };
      // A 60 s backoff: if cancellation did not cut it short, the test would time out.
      const [o] = await collect(map(task, [1], { executor, signal: controller.signal, retries: { retries: 3, minDelayMs: 60_000, maxDelayMs: 60_000 } }));
      expect(o!.ok).toBe(false);
      if (!o!.ok) expect(o!.error.code).toBe("ERR_THEMIS_ABORTED");
    } finally {
      await executor.close();
    }
  });

  it("a retryOn that throws fails that item only", async () => {
    const out = await collect(
      map((n: number) => (n === 1 ? Promise.reject(new UnavailableError("down")) : n), [0, 1, 2], {
        executor: "sequential",
        retries: {
          retries: 2,
          retryOn: () => {
            throw new TypeError("bad predicate");
          },
        },
      }),
    );
    expect(out.map((o) => (o.ok ? o.value : o.error.name))).toEqual([0, "TypeError", 2]);
  });

  it("backs off exponentially, capped, with full jitter", () => {
    const retry = { retries: 5, minDelayMs: 100, maxDelayMs: 1000, factor: 2, retryOn: () => true };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(retry, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(retry, 3, () => 0)).toBe(0);
    expect(backoffDelay(retry, 3, () => 0.5)).toBe(200);
  });
});

describe("map: flow", () => {
  it("a slow consumer holds the work back: never more than `concurrency` items read and not yet consumed", async () => {
    const executor = await local();
    try {
      let started = 0;
      let read = 0;
      function* items() {
        for (;;) yield read++;
      }
      const seen: number[] = [];
      for await (const o of map(
        async (n: number) => {
          started++;
          return n;
        },
        items(),
        { executor, concurrency: 3 },
      )) {
        await delay(5);
        seen.push(o.index);
        expect(read - seen.length).toBeLessThanOrEqual(3);
        if (seen.length === 10) break;
      }
      expect(started).toBeLessThanOrEqual(13);
    } finally {
      await executor.close();
    }
  });

  it("ordered: a slow first item holds the order without losing anything", async () => {
    const executor = await local();
    try {
      const out = await collect(map(async (n: number) => (n === 0 ? delay(100, n) : n), [0, 1, 2, 3, 4, 5, 6], { executor, concurrency: 3, ordered: true }));
      expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    } finally {
      await executor.close();
    }
  });

  it("leaving the loop early stops running jobs (their signal aborts) and closes the input", async () => {
    const executor = await local();
    try {
      const signals: AbortSignal[] = [];
      let inputClosed = false;
      function* items() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          inputClosed = true;
        }
      }
      for await (const o of map(
        async (n: number, { signal }) => {
          signals.push(signal);
          if (n > 0) await delay(60_000, undefined, { signal });
          return n;
        },
        items(),
        { executor, concurrency: 3 },
      )) {
        expect(o.index).toBe(0);
        break;
      }
      expect(inputClosed).toBe(true);
      expect(signals.length).toBeGreaterThan(1);
      expect(signals.slice(1).every((s) => s.aborted)).toBe(true);
    } finally {
      await executor.close();
    }
  });

  it("an input that throws: finished items are yielded, then the error is thrown", async () => {
    const executor = await local();
    try {
      async function* items() {
        yield 1;
        yield 2;
        throw new Error("input broke");
      }
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const o of map(async (n: number) => n, items(), { executor })) seen.push(o.index);
        })(),
      ).rejects.toThrow("input broke");
      expect(seen.sort()).toEqual([0, 1]);
    } finally {
      await executor.close();
    }
  });

  it("reports progress after every item, with the total for arrays or `total`", async () => {
    const executor = await local();
    try {
      const events: MapProgress[] = [];
      await collect(map(async (n: number) => (n === 2 ? Promise.reject(new Error("x")) : n), [0, 1, 2, 3], { executor, onProgress: (p) => events.push(p) }));
      expect(events.length).toBe(4);
      const last = events.at(-1)!;
      expect(last).toMatchObject({ done: 4, succeeded: 3, failed: 1, total: 4, running: 0 });
      expect(last.ratePerSecond).toBeGreaterThan(0);

      const more: MapProgress[] = [];
      function* gen() {
        yield 1;
        yield 2;
      }
      await collect(map(async (n: number) => n, gen(), { executor, onProgress: (p) => more.push(p) }));
      expect(more.at(-1)!.total).toBeUndefined();
      await collect(map(async (n: number) => n, gen(), { executor, total: 2, onProgress: (p) => more.push(p) }));
      expect(more.at(-1)!.total).toBe(2);
    } finally {
      await executor.close();
    }
  });

  it("listeners a job leaves on its signal do not pile up across jobs", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      if (w.name === "MaxListenersExceededWarning") warnings.push(w);
    };
    process.on("warning", onWarning);
    try {
      const signals = new Set<AbortSignal>();
      await collect(
        map(
          async (_: number, { signal }) => {
            signals.add(signal);
            signal.addEventListener("abort", () => undefined); // never removed, as much real code does
            await delay(1);
          },
          Array.from({ length: 200 }, (_, i) => i),
          { execution: "local", concurrency: 4 },
        ),
      );
      await delay(10); // warnings are emitted on the next tick
      expect(warnings).toEqual([]);
      expect(signals.size).toBe(200); // one signal per job, not one shared by all
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("an already aborted signal runs nothing", async () => {
    let ran = 0;
    const out = await collect(
      map(
        async () => {
          ran++;
        },
        [1, 2, 3],
        { signal: AbortSignal.abort() },
      ),
    );
    expect(out).toEqual([]);
    expect(ran).toBe(0);
  });

  it("mapValues returns values in input order and throws the first failure with its code", async () => {
    expect(await mapValues(async (n: number) => n * 2, [3, 1, 2], { execution: "sequential" })).toEqual([6, 2, 4]);
    await expect(mapValues(async () => Promise.reject(new UnavailableError("down")), [1])).rejects.toMatchObject({
      code: "ERR_THEMIS_UNAVAILABLE",
      retryable: true,
    });
  });

  it("uses the executor named by a string through the registry (default: local)", async () => {
    const out = await collect(map(async (n: number) => n, [1, 2], { execution: "sequential" }));
    expect(out.map((o) => o.index)).toEqual([0, 1]);
    // The old option name still works; both names at once is a TypeError, before anything runs.
    const old = await collect(map(async (n: number) => n, [1, 2], { executor: "sequential" }));
    expect(old.map((o) => o.ok)).toEqual([true, true]);
    expect(() => map(async (n: number) => n, [1], { execution: "sequential", executor: "local" })).toThrow(TypeError);
    await expect(collect(map(async (n: number) => n, [1], { execution: "no-such-executor" }))).rejects.toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
  });
});
