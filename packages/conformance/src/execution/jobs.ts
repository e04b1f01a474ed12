import { describe, expect, it } from "vitest";
import { type Task, map } from "@themis/core";
import { type ExecutionContext, collectOutcomes } from "./context.js";

/** For each declared kind: results and order, input shapes, error outcomes, retries, backpressure. */
export function jobTests(ctx: ExecutionContext): void {
  for (const kind of ctx.options.kinds) {
    describe(`${kind} jobs`, () => {
      it(
        "yields every result once with its input index; ordered follows input order",
        async () => {
          const items = [5, 1, 4, 0, 3, 2].map((d, n) => ({ n, delayMs: d * 40 }));
          const unordered = await collectOutcomes(map(ctx.doubler(kind), items, ctx.opts({ concurrency: 3 })));
          expect(unordered.map((o) => o.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
          for (const o of unordered) {
            expect(o.ok, JSON.stringify(o)).toBe(true);
            if (o.ok) expect(o.value).toEqual({ n: o.index * 2 });
            expect(o.attempts).toBe(1);
            expect(o.durationMs).toBeGreaterThanOrEqual(0);
          }
          const ordered = await collectOutcomes(map(ctx.doubler(kind), items, ctx.opts({ concurrency: 3, ordered: true })));
          expect(ordered.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5]);
          expect(ordered.map((o) => (o.ok ? o.value : undefined))).toEqual(items.map((i) => ({ n: i.n * 2 })));
        },
        ctx.testTimeout,
      );

      it(
        "accepts arrays, iterables and async iterables",
        async () => {
          async function* asyncItems() {
            for (let n = 0; n < 3; n++) yield { n };
          }
          function* syncItems() {
            for (let n = 0; n < 3; n++) yield { n };
          }
          for (const input of [[{ n: 0 }, { n: 1 }, { n: 2 }], syncItems(), asyncItems()]) {
            const out = await collectOutcomes(map(ctx.doubler(kind), input, ctx.opts({ ordered: true })));
            expect(out.map((o) => (o.ok ? o.value : o.error))).toEqual([{ n: 0 }, { n: 2 }, { n: 4 }]);
          }
        },
        ctx.testTimeout,
      );

      it(
        "turns a failure into an error outcome (serializable, with a code) and goes on",
        async () => {
          const failing: Task =
            kind === "function"
              ? (input: { n: number }) => {
                  if (input.n === 1) throw Object.assign(new Error("fixture failure"), { code: "E_FIXTURE" });
                  return { n: input.n * 2 };
                }
              : kind === "module"
                ? ctx.mod("doubleOrFail")
                : {
                    kind: "command",
                    command: (i: { n: number }) => ({
                      argv: ["sh", "-c", i.n === 1 ? "echo oops >&2; exit 3" : `echo '{"n": ${i.n * 2}}'`],
                      output: "json" as const,
                    }),
                  };
          const out = await collectOutcomes(map(failing, [{ n: 0 }, { n: 1 }, { n: 2 }], ctx.opts()));
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
        },
        ctx.testTimeout,
      );
      it(
        "retries errors marked retryable (backoff), never the others",
        async () => {
          const retries = { retries: 2, minDelayMs: 1, maxDelayMs: 5 };
          if (kind === "function") {
            let calls = 0;
            const flaky = async (_: unknown, c: { attempt: number }) => {
              calls++;
              if (c.attempt < 3) throw Object.assign(new Error("transient"), { code: "E_TRANSIENT", retryable: true });
              return "ok";
            };
            const [o] = await collectOutcomes(map(flaky, [1], ctx.opts({ retries })));
            expect(o!.ok).toBe(true);
            expect(o!.attempts).toBe(3);
            expect(calls).toBe(3);
            const [p] = await collectOutcomes(
              map(() => Promise.reject(Object.assign(new Error("permanent"), { code: "E_PERMANENT" })), [1], ctx.opts({ retries })),
            );
            expect(p!.attempts).toBe(1);
            return;
          }
          const retryable: Task = kind === "module" ? ctx.mod("failRetryable") : { kind: "command", command: () => ({ argv: ["sh", "-c", "exit 75"] }) };
          const permanent: Task = kind === "module" ? ctx.mod("fail") : { kind: "command", command: () => ({ argv: ["sh", "-c", "exit 1"] }) };
          // Commands: the exit code says "temporary failure" (EX_TEMPFAIL), decided by retryOn.
          const retryOn = kind === "command" ? { retryOn: (_e: unknown, f: { exitCode?: number | null }) => f.exitCode === 75 } : {};
          const [o] = await collectOutcomes(map(retryable, [{ n: 1 }], ctx.opts({ retries: { ...retries, ...retryOn } })));
          expect(o!.ok).toBe(false);
          expect(o!.attempts).toBe(3);
          if (!o!.ok && kind === "module") {
            expect(o!.error.code).toBe("E_TRANSIENT");
            expect(o!.error.retryable).toBe(true);
          }
          const [p] = await collectOutcomes(map(permanent, [{ n: 1 }], ctx.opts({ retries: { ...retries, ...retryOn } })));
          expect(p!.ok).toBe(false);
          expect(p!.attempts).toBe(1);
        },
        ctx.testTimeout,
      );

      it(
        "reads no more input than it has room to run (backpressure, infinite input)",
        async () => {
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
          for await (const o of map(ctx.doubler(kind), infinite(), ctx.opts({ concurrency }))) {
            expect(o.ok).toBe(true);
            if (++taken === 8) break;
          }
          expect(read).toBeLessThanOrEqual(taken + concurrency);
          expect(closed).toBe(true);
        },
        ctx.testTimeout,
      );
    });
  }

  if (ctx.has("function")) {
    it(
      "function jobs: never more than `concurrency` at once (1 when the executor says maxConcurrency 1)",
      async () => {
        let now = 0;
        let max = 0;
        const task = async () => {
          now++;
          max = Math.max(max, now);
          await new Promise((r) => setTimeout(r, 20));
          now--;
        };
        await collectOutcomes(
          map(
            task,
            Array.from({ length: 12 }, (_, i) => i),
            ctx.opts({ concurrency: 3 }),
          ),
        );
        expect(max).toBe(Math.min(3, ctx.executor().maxConcurrency ?? 3));
      },
      ctx.testTimeout,
    );
  }
}
