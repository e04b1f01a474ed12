import { describe, expect, it } from "vitest";
import { type MapOutcome, type Task, map } from "@themis/core";
import { type ExecutionContext, expectNoOrphans, runOne, sh } from "./context.js";

/** No orphans: a timed-out, finished or cancelled command leaves no process behind. */
export function orphanTests(ctx: ExecutionContext): void {
  if (!ctx.has("command")) return;
  describe("command jobs", () => {
    it(
      "leaves no orphan processes: a timed-out command's whole process tree is killed",
      async () => {
        const out = await runOne(ctx, sh("sleep 60 & echo $!; (sleep 60 & echo $!; wait) & echo $$; wait"), { timeout: 800 + ctx.startupMs });
        expect(out.ok).toBe(false);
        if (!out.ok) expect(out.error.code).toBe("ERR_THEMIS_TIMEOUT");
        await expectNoOrphans(ctx, out.stdout?.text, 3);
      },
      ctx.testTimeout,
    );

    it(
      "leaves no orphan processes: background processes do not outlive a finished command",
      async () => {
        const out = await runOne(ctx, sh("sleep 60 >/dev/null 2>&1 & echo $!"));
        expect(out.ok).toBe(true);
        await expectNoOrphans(ctx, out.stdout?.text, 1);
      },
      ctx.testTimeout,
    );

    it(
      "leaves no orphan processes: cancelling kills running commands",
      async () => {
        const controller = new AbortController();
        const outcomes: MapOutcome[] = [];
        const task: Task = { kind: "command", command: () => ({ argv: ["sh", "-c", "sleep 60 & echo $!; echo $$; wait"] }) };
        setTimeout(() => controller.abort(), 400 + ctx.startupMs / 2);
        for await (const o of map(task, [1, 2], ctx.opts({ concurrency: 2, signal: controller.signal }))) outcomes.push(o);
        expect(outcomes.length).toBeGreaterThan(0);
        for (const o of outcomes) {
          expect(o.ok).toBe(false);
          if (!o.ok) expect(o.error.code).toBe("ERR_THEMIS_ABORTED");
          await expectNoOrphans(ctx, o.stdout?.text);
        }
      },
      ctx.testTimeout,
    );
  });
}
