import { setTimeout as delay } from "node:timers/promises";
import { expect, it } from "vitest";
import { type ClaimsContext, expectOneResultPerRow, succeeded } from "./context.js";
import { readMarks, rowsRunTwice } from "./processes.js";
import { seededRandom } from "@themis/core/backend";

/** One of 3 runners killed (SIGKILL) mid-block at a seeded moment, then a resume. */
export function killedTests(ctx: ClaimsContext): void {
  const { rows: N, killSeeds, timeout } = ctx.options;
  for (const seed of killSeeds) {
    it(`kill -9 of one of 3 runners at a random moment (seed ${seed}), then a resume: one result per row, reruns only of rows the dead runner left unstored`, {
      timeout,
    }, async () => {
      const rand = seededRandom(seed);
      const s = await ctx.setup(`kill-${seed}`, N);
      try {
        const runners = ["a", "b", "c"].map((tag) => s.start(tag, { delayMs: 10 }));
        await Promise.all(runners.map((r) => r.ready));
        // Within a block (64 rows): some runner holding a block gets there. The first to get
        // there dies (the seed orders ties), mid-block.
        const killAt = 1 + Math.floor(rand() * 60);
        const order = ["a", "b", "c"].sort(() => rand() - 0.5);
        s.go();
        let tag: string | undefined;
        while (tag === undefined) {
          const marks = readMarks(s.marker);
          tag = order.find((t) => (marks.rowsOf.get(t)?.length ?? 0) >= killAt);
          if (tag === undefined && runners.every((r) => r.child.exitCode !== null)) throw new Error(`no runner got to ${killAt} rows`);
          if (tag === undefined) await delay(2);
        }
        const victim = ["a", "b", "c"].indexOf(tag);
        runners[victim]?.child.kill("SIGKILL");
        expect((await runners[victim]?.exited)?.signal).toBe("SIGKILL");
        const dead = readMarks(s.marker);
        const runOfVictim = dead.runOf.get(tag);
        const storedByVictim = new Set((await s.results()).filter((r) => r.run_id === runOfVictim).map((r) => String(r.dataset_row_id)));
        const others = runners.filter((_, i) => i !== victim);
        for (const r of others) expect((await succeeded(r)).status).toBe("completed");
        // The two others took the dead runner's blocks over once it went stale: a resume finds nothing left.
        const resume = s.start("resume");
        await resume.ready;
        expect((await succeeded(resume)).succeeded).toBe(0);

        expectOneResultPerRow(await s.results(), N);
        const marks = readMarks(s.marker);
        const twice = rowsRunTwice(marks);
        const unstored = new Set(dead.rowsOf.get(tag)?.filter((id) => !storedByVictim.has(id)));
        // The contract: a row runs again only when its holder died before storing its result.
        expect(twice.filter((id) => !unstored.has(id))).toEqual([]);
        expect([...marks.starts.values()].every((n) => n <= 2)).toBe(true);
        console.info(`seed ${seed}: killed ${tag} after ${killAt} rows; ${unstored.size} started without a stored result, ${twice.length} ran twice`);
      } finally {
        await s.close();
      }
    });
  }
}
