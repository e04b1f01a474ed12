import { setTimeout as delay } from "node:timers/promises";
import { expect, it } from "vitest";
import { type ClaimsContext, expectOneResultPerRow, succeeded } from "./context.js";
import { readMarks, rowsRunTwice } from "./processes.js";

/** Rows appended to the dataset while runners are on it. */
export function appendedTests(ctx: ClaimsContext): void {
  it("rows appended to the dataset while runners are on it: no row runs twice, a resume finishes the rest", { timeout: ctx.options.timeout }, async () => {
    const s = await ctx.setup("append", 200);
    try {
      const a = s.start("a", { delayMs: 10 });
      await a.ready;
      s.go();
      while ((readMarks(s.marker).rowsOf.get("a")?.length ?? 0) < 20) {
        if (a.child.exitCode !== null) throw new Error(`runner a ended before 20 rows: ${(await a.exited).err}`);
        await delay(5);
      }
      // Mid-run: a block that grows at the end (200 = 3 * 64 + 8) and new blocks.
      await s.append(200, 100);
      const b = s.start("b", { delayMs: 10 });
      await b.ready;
      await Promise.all([succeeded(a), succeeded(b)]);
      const c = s.start("c");
      await c.ready;
      await succeeded(c);
      expectOneResultPerRow(await s.results(), 300);
      expect(rowsRunTwice(readMarks(s.marker))).toEqual([]);
    } finally {
      await s.close();
    }
  });
}
