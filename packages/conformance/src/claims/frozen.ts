import { setTimeout as delay } from "node:timers/promises";
import { expect, it } from "vitest";
import { type ClaimsContext, expectOneResultPerRow, succeeded } from "./context.js";
import { readMarks, rowsRunTwice } from "./processes.js";

/** A holder frozen (SIGSTOP) past its heartbeat, its blocks taken over, then woken (SIGCONT). */
export function frozenTests(ctx: ClaimsContext): void {
  const { rows: N, heartbeatMs, timeout } = ctx.options;
  it("a holder frozen past its heartbeat, taken over, then woken: it starts no row of a block it lost", { timeout }, async () => {
    const s = await ctx.setup("sigstop", N);
    try {
      const a = s.start("a", { delayMs: 20 });
      await a.ready;
      s.go();
      while ((readMarks(s.marker).rowsOf.get("a")?.length ?? 0) < 100) {
        if (a.child.exitCode !== null) throw new Error(`runner a ended before 100 rows: ${(await a.exited).err}`);
        await delay(10);
      }
      a.child.kill("SIGSTOP");
      // A request already on the wire still lands: let it, then see what `a` had done.
      await delay(300);
      const before = readMarks(s.marker);
      const startedByA = new Set(before.rowsOf.get("a"));
      const runA = before.runOf.get("a");
      const storedByA = new Set((await s.results()).filter((r) => r.run_id === runA).map((r) => String(r.dataset_row_id)));
      // Stale after 4 missed beats (core's rule), with a margin.
      await delay(4 * heartbeatMs + 400);
      const b = s.start("b");
      await b.ready;
      const summaryB = await succeeded(b);
      expect(summaryB.status).toBe("completed");
      a.child.kill("SIGCONT");
      await succeeded(a);

      expectOneResultPerRow(await s.results(), N);
      const after = readMarks(s.marker);
      const lateA = (after.rowsOf.get("a") ?? []).slice(startedByA.size);
      const ranByB = new Set(after.rowsOf.get("b"));
      // `a` must not start, after waking, a row `b` ran: its blocks were taken over.
      expect(lateA.filter((id) => ranByB.has(id))).toEqual([]);
      // A row runs twice only when its holder stopped before storing its result.
      const twice = rowsRunTwice(after);
      expect(twice.filter((id) => !startedByA.has(id) || storedByA.has(id))).toEqual([]);
    } finally {
      await s.close();
    }
  });
}
