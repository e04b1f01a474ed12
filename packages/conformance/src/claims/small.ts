import { expect, it } from "vitest";
import { type ClaimsContext, expectOneResultPerRow, succeeded } from "./context.js";
import { readMarks, rowsRunTwice } from "./processes.js";

/** Datasets of a block or less (and one row past), 3 runners at once. */
export function smallTests(ctx: ClaimsContext): void {
  for (const n of ctx.options.smallRows) {
    it(`${n} rows, 3 runners at once: no hang, every row run once`, { timeout: ctx.options.smallTimeout }, async () => {
      const s = await ctx.setup(`small-${n}`, n);
      try {
        // Slow rows: a runner with a short block finishes while another is still mid-block.
        const runners = ["a", "b", "c"].map((tag) => s.start(tag, { delayMs: 30 }));
        await Promise.all(runners.map((r) => r.ready));
        s.go();
        const summaries = await Promise.all(runners.map(succeeded));
        expect(summaries.map((x) => x.status)).toEqual(["completed", "completed", "completed"]);
        expect(summaries.reduce((sum, x) => sum + x.succeeded, 0)).toBe(n);
        expectOneResultPerRow(await s.results(), n);
        expect(rowsRunTwice(readMarks(s.marker))).toEqual([]);
      } finally {
        await s.close();
      }
    });
  }
}
