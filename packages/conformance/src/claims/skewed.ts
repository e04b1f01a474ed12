import { setTimeout as delay } from "node:timers/promises";
import { expect, it } from "vitest";
import { CLOCK_SKEW_TOLERANCE_MS } from "@themis/core";
import { type ClaimsContext, type ClaimsSetup, expectOneResultPerRow, succeeded } from "./context.js";
import { type Runner, readMarks, rowsRunTwice } from "./processes.js";

/**
 * How far the skewed runners' clocks are off: one this far behind, one this far ahead (2 min).
 * Minutes, far beyond any staleness window, so a reader comparing heartbeats with its own
 * wall clock gets it wrong; yet behind and ahead disagree by twice this, which must stay
 * under core's tolerance (a heartbeat that looks older than that at first sight is dead).
 */
export const SKEW_MS = Math.floor(CLOCK_SKEW_TOLERANCE_MS * 0.4);

const CLOCKS = { behind: -SKEW_MS, right: 0, ahead: SKEW_MS } as const;
type Clock = keyof typeof CLOCKS;

/** Where a skewed runner says it runs: another machine, so a dead one is known by its heartbeat only (not its process). */
const hostOf = (tag: Clock): string => `${tag}.claims-suite.invalid`;

/**
 * Runners whose wall clocks are off by minutes, as on machines with badly set clocks: each
 * reports its own host name, so the others judge it by its heartbeat, on their own clocks.
 */
export function skewedTests(ctx: ClaimsContext): void {
  const { rows: N, heartbeatMs, timeout } = ctx.options;
  // Rows slow enough that a run lasts about 2 staleness windows (4 beats each, 3 runners of
  // concurrency 4): readers see each other's heartbeats change, not only a first look.
  const delayMs = Math.max(20, Math.ceil((2 * 4 * heartbeatMs * 12) / N));

  it(`3 live runners, clocks ${SKEW_MS / 60_000} min behind, right and ${SKEW_MS / 60_000} min ahead: every row runs once, no live runner's block taken over`, {
    timeout,
  }, async () => {
    const s = await ctx.setup("skew-live", N);
    try {
      const before = Date.now();
      const tags = Object.keys(CLOCKS) as Clock[];
      const runners = tags.map((tag) => s.start(tag, { delayMs, clockOffsetMs: CLOCKS[tag], host: hostOf(tag) }));
      await Promise.all(runners.map((r) => r.ready));
      s.go();
      const summaries = await Promise.all(runners.map(succeeded));
      expect(summaries.map((x) => x.status)).toEqual(["completed", "completed", "completed"]);
      expect(summaries.reduce((sum, x) => sum + x.succeeded, 0)).toBe(N);
      expectOneResultPerRow(await s.results(), N);
      expect(rowsRunTwice(readMarks(s.marker))).toEqual([]);
      for (const tag of tags) await expectClockOff(s, tag, before);
    } finally {
      await s.close();
    }
  });

  const opposite = { ahead: "behind", behind: "ahead" } as const;
  for (const victim of ["ahead", "behind"] as const) {
    it(`kill -9 of the runner ${SKEW_MS / 60_000} min ${victim}: runners with the right clock and one ${opposite[victim]} take its blocks over, one result per row, reruns only of rows it left unstored`, {
      timeout,
    }, async () => {
      const s = await ctx.setup(`skew-kill-${victim}`, N);
      try {
        const before = Date.now();
        const tags: Clock[] = [victim, "right", opposite[victim]];
        // The victim first: started together, the others could claim every block before it claims one.
        const first = s.start(victim, { delayMs, clockOffsetMs: CLOCKS[victim], host: hostOf(victim) });
        await first.ready;
        s.go();
        await startedRows(s, first, victim, 1);
        const others = tags.slice(1).map((tag) => s.start(tag, { delayMs, clockOffsetMs: CLOCKS[tag], host: hostOf(tag) }));
        const runners = [first, ...others];
        await Promise.all(others.map((r) => r.ready));
        // Killed mid-run, once the others have looked at its blocks while it was alive: their runs
        // have started (they claim next) and it started 32 more rows (half a block) since.
        while (!tags.slice(1).every((tag) => readMarks(s.marker).runOf.has(tag))) {
          if (others.some((r) => r.child.exitCode !== null)) throw new Error(`a runner ended before its run started: ${others.map((r) => r.child.exitCode)}`);
          await delay(2);
        }
        await startedRows(s, first, victim, (readMarks(s.marker).rowsOf.get(victim)?.length ?? 0) + 32);
        runners[0]?.child.kill("SIGKILL");
        expect((await runners[0]?.exited)?.signal).toBe("SIGKILL");
        const dead = readMarks(s.marker);
        const runOfVictim = dead.runOf.get(victim);
        const storedByVictim = new Set((await s.results()).filter((r) => r.run_id === runOfVictim).map((r) => String(r.dataset_row_id)));
        // The dead runner's heartbeat stops changing: the others take its blocks over and finish.
        for (const r of runners.slice(1)) expect((await succeeded(r)).status).toBe("completed");

        expectOneResultPerRow(await s.results(), N);
        const marks = readMarks(s.marker);
        const twice = rowsRunTwice(marks);
        const unstored = new Set(dead.rowsOf.get(victim)?.filter((id) => !storedByVictim.has(id)));
        // The contract: a row runs again only when its holder died before storing its result.
        expect(twice.filter((id) => !unstored.has(id))).toEqual([]);
        expect([...marks.starts.values()].every((n) => n <= 2)).toBe(true);
        for (const tag of tags) await expectClockOff(s, tag, before);
      } finally {
        await s.close();
      }
    });
  }
}

/** Wait until runner `tag` has started `n` rows; it must not end before. */
async function startedRows(s: ClaimsSetup, runner: Runner, tag: string, n: number): Promise<void> {
  while ((readMarks(s.marker).rowsOf.get(tag)?.length ?? 0) < n) {
    if (runner.child.exitCode !== null) throw new Error(`runner ${tag} ended before ${n} rows: ${(await runner.exited).err}`);
    await delay(2);
  }
}

/**
 * The runner's clock was off as asked (else the tests above prove nothing): the `started_at`
 * it wrote lies, on this process's clock, before the test began (behind) or after now
 * (ahead), as a test lasts less than {@link SKEW_MS}; a right clock's lies in between.
 */
async function expectClockOff(s: ClaimsSetup, tag: Clock, before: number): Promise<void> {
  const runId = readMarks(s.marker).runOf.get(tag);
  if (runId === undefined) throw new Error(`runner ${tag} wrote no run id`);
  const record = await s.run(runId);
  const startedAt = Date.parse(String(record.started_at));
  const now = Date.now();
  expect(record.host, `${tag}'s host`).toBe(hostOf(tag));
  if (CLOCKS[tag] < 0) expect(startedAt, `${tag}'s started_at`).toBeLessThan(before);
  else if (CLOCKS[tag] > 0) expect(startedAt, `${tag}'s started_at`).toBeGreaterThan(now);
  else expect(startedAt >= before && startedAt <= now, `${tag}'s started_at within the test`).toBe(true);
}
