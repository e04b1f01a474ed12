import { describe, expect, it } from "vitest";
import { type MapOutcome, map } from "@themis/core";
import { type ExecutionContext, collectOutcomes, expectNoOrphans, runOne } from "./context.js";

/** Per-job timeouts and cancellation for each declared kind; stopping what ignores being asked to stop. */
export function timeoutTests(ctx: ExecutionContext): void {
  for (const kind of ctx.options.kinds) {
    describe(`${kind} jobs`, () => {
      it(
        "times out each job on its own: a slow job is stopped, later jobs get their own time",
        async () => {
          const timeout = 400 + ctx.startupMs;
          // One job at a time: if the timeout spanned the map, the jobs after the slow one would fail.
          const task = ctx.doubler(kind);
          const items = [
            { n: 0, delayMs: 60_000 },
            { n: 1, delayMs: 150 },
            { n: 2, delayMs: 150 },
            { n: 3, delayMs: 150 },
          ];
          const out = await collectOutcomes(map(task, items, ctx.opts({ concurrency: 1, timeout, ordered: true })));
          expect(out.map((o) => (o.ok ? "ok" : o.error.code))).toEqual(["ERR_THEMIS_TIMEOUT", "ok", "ok", "ok"]);
          expect(out[0]!.durationMs).toBeGreaterThanOrEqual(timeout - 50);
        },
        ctx.testTimeout,
      );
      it(
        "cancels through the signal: running jobs are stopped, nothing more is read, the iterator ends",
        async () => {
          const controller = new AbortController();
          let read = 0;
          function* items() {
            for (;;) yield { n: read++, delayMs: 60_000 };
          }
          const seen: MapOutcome[] = [];
          setTimeout(() => controller.abort(new Error("user cancelled")), 300 + ctx.startupMs / 2);
          for await (const o of map(ctx.doubler(kind), items(), ctx.opts({ concurrency: 2, signal: controller.signal }))) seen.push(o);
          expect(read).toBeLessThanOrEqual(2);
          expect(seen.length).toBeLessThanOrEqual(2);
          for (const o of seen) {
            expect(o.ok).toBe(false);
            if (!o.ok) expect(o.error.code).toBe("ERR_THEMIS_ABORTED");
          }
        },
        ctx.testTimeout,
      );
    });
  }

  if (ctx.has("function")) {
    it(
      "function jobs: a timed-out function sees its signal aborted",
      async () => {
        let abortedWith: unknown;
        const task = (_: unknown, { signal }: { signal: AbortSignal }) =>
          new Promise((_r, reject) =>
            signal.addEventListener("abort", () => {
              abortedWith = signal.reason;
              reject(signal.reason);
            }),
          );
        const [o] = await collectOutcomes(map(task, [1], ctx.opts({ timeout: 100 })));
        expect(o!.ok).toBe(false);
        expect((abortedWith as { code?: string }).code).toBe("ERR_THEMIS_TIMEOUT");
      },
      ctx.testTimeout,
    );
  }

  if (ctx.has("module")) {
    it(
      "module jobs: a CPU-bound job that never returns is stopped by its timeout and the pool keeps working",
      async () => {
        const [o] = await collectOutcomes(map(ctx.mod("spin"), [null], ctx.opts({ timeout: 300 + ctx.startupMs })));
        expect(o!.ok).toBe(false);
        if (!o!.ok) expect(o!.error.code).toBe("ERR_THEMIS_TIMEOUT");
        const after = await collectOutcomes(map(ctx.doubler("module"), [{ n: 21 }], ctx.opts()));
        expect(after[0]!.ok && after[0]!.value).toEqual({ n: 42 });
      },
      ctx.testTimeout,
    );
  }

  if (ctx.has("command")) {
    it(
      "command jobs: a command that ignores SIGTERM is killed (SIGKILL after the grace period)",
      async () => {
        // Children inherit the ignored SIGTERM: only SIGKILL ends this process group.
        const out = await runOne(
          ctx,
          { kind: "command", argv: ["sh", "-c", "trap '' TERM; sleep 60 & echo $!; echo $$; wait; wait; echo survived"] },
          { timeout: 500 + ctx.startupMs },
        );
        expect(out.ok).toBe(false);
        if (!out.ok) expect(out.error.code).toBe("ERR_THEMIS_TIMEOUT");
        expect(out.stdout?.text ?? "").not.toContain("survived");
        await expectNoOrphans(ctx, out.stdout?.text, 2);
      },
      ctx.testTimeout,
    );
  }
}
