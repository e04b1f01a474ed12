// Staleness judged on the reader's own clock: a run is dead once its heartbeat_at stops
// changing for 4 intervals of the reader's monotonic clock, whatever the writer's wall clock
// says. Clocks are injected: nothing here waits.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLOCK_SKEW_TOLERANCE_MS, HeartbeatWatch, Project, STALE_AFTER_BEATS, type Table } from "../dist/index.js";
import { BlockClaims, claimsTable } from "../dist/experiment/claims.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";

const INTERVAL = 1000;
const WINDOW = STALE_AFTER_BEATS * INTERVAL;
// Near the real time: the old rule (runState) compared heartbeats with the real wall clock.
const WALL = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

/** Injected clocks: `t` ms of the reader's monotonic time have passed, and as many of its wall time. */
function clocks() {
  const c = { t: 0, now: () => c.t, wallNow: () => WALL + c.t };
  return c;
}
const running = (heartbeatAt: string) => ({ status: "running" as const, started_at: iso(WALL - 3600_000), heartbeat_at: heartbeatAt, heartbeat_ms: INTERVAL });

describe("HeartbeatWatch", () => {
  it("a clock off by less than the tolerance: running at first sight, ahead or behind", () => {
    const c = clocks();
    const watch = new HeartbeatWatch(c);
    expect(watch.state("ahead", running(iso(WALL + 3 * 60_000)))).toBe("running");
    expect(watch.state("behind", running(iso(WALL - 3 * 60_000)))).toBe("running");
    expect(watch.state("just", running(iso(WALL - WINDOW - CLOCK_SKEW_TOLERANCE_MS)))).toBe("running");
  });

  it("a heartbeat older than 4 intervals plus the tolerance: stale at once, and until it changes", () => {
    const c = clocks();
    const watch = new HeartbeatWatch(c);
    const old = running(iso(WALL - WINDOW - CLOCK_SKEW_TOLERANCE_MS - 1));
    expect(watch.state("dead", old)).toBe("stale");
    c.t += 1;
    expect(watch.state("dead", old)).toBe("stale");
    // It beats again (a runner back from a pause): alive.
    expect(watch.state("dead", running(iso(WALL - 60_000)))).toBe("running");
  });

  it("stale once heartbeat_at has not changed for 4 intervals of the reader's clock; a change starts the watch again", () => {
    const c = clocks();
    const watch = new HeartbeatWatch(c);
    const beat = running(iso(WALL + 3 * 60_000));
    expect(watch.state("r", beat)).toBe("running");
    c.t += WINDOW;
    expect(watch.state("r", beat)).toBe("running");
    c.t += 1;
    expect(watch.state("r", beat)).toBe("stale");
    const next = running(iso(WALL + 3 * 60_000 + INTERVAL));
    expect(watch.state("r", next)).toBe("running");
    c.t += WINDOW;
    expect(watch.state("r", next)).toBe("running");
  });

  it("runs are watched apart; an ended run is its status; no heartbeat_ms means the default interval", () => {
    const c = clocks();
    const watch = new HeartbeatWatch(c);
    expect(watch.state("a", running(iso(WALL)))).toBe("running");
    c.t += WINDOW + 1;
    expect(watch.state("b", running(iso(WALL)))).toBe("running");
    expect(watch.state("a", running(iso(WALL)))).toBe("stale");
    expect(watch.state("a", { ...running(iso(WALL)), status: "completed" })).toBe("completed");
    const { heartbeat_ms: _, ...noInterval } = running(iso(WALL));
    expect(watch.state("c", noInterval as never)).toBe("running");
    c.t += STALE_AFTER_BEATS * 5000;
    expect(watch.state("c", noInterval as never)).toBe("running");
    c.t += 1;
    expect(watch.state("c", noInterval as never)).toBe("stale");
  });

  it("an unreadable heartbeat is watched, not judged by the wall clock", () => {
    const c = clocks();
    const watch = new HeartbeatWatch(c);
    expect(watch.state("x", running("not a time"))).toBe("running");
    c.t += WINDOW + 1;
    expect(watch.state("x", running("not a time"))).toBe("stale");
  });
});

describe("block claims judge holders on the reader's clock", () => {
  let project: Project;
  let runs: Table;
  beforeEach(async () => {
    project = await Project.create("p", "memory", { namespace: `watch-${randomUUID()}` });
    runs = await project.internalTable("experiment", RUNS_TABLE);
    await project.createExperiment("e");
  });
  afterEach(() => project.close());

  const claimsFor = async (runId: string, c?: ReturnType<typeof clocks>) =>
    new BlockClaims(await project.internalTable("experiment", claimsTable("e")), runs, await project.getExperiment("e"), {
      runId,
      experiment: "e",
      key: "k",
      failedBefore: new Map(),
      ...(c ? { clocks: c } : {}),
    });
  const block = { index: 0, rows: ["x", "y"] };

  /** Run "holder" claims block 0; its heartbeat_at is `skewMs` off the reader's wall clock. */
  const holderWithSkew = async (skewMs: number) => {
    await runs.append({ _row_id: "holder", run_id: "holder", ...running(iso(WALL + skewMs)) });
    expect((await (await claimsFor("holder")).claim(block)).verdict).toBe("mine");
    return async (beat: number) => runs.update("holder", { run_id: "holder", ...running(iso(WALL + skewMs + beat * INTERVAL)) });
  };

  for (const skewMs of [3 * 60_000, -3 * 60_000]) {
    const side = skewMs > 0 ? "ahead of" : "behind";
    it(`a holder whose clock is 3 min ${side} the reader's and still beats keeps its block`, async () => {
      const beat = await holderWithSkew(skewMs);
      const c = clocks();
      const reader = await claimsFor("reader", c);
      for (let i = 1; i <= 3 * STALE_AFTER_BEATS; i++) {
        expect(await reader.claim(block)).toEqual({ verdict: "held" });
        c.t += INTERVAL;
        await beat(i);
      }
    });

    it(`a holder whose clock is 3 min ${side} the reader's and stops beating is taken over after 4 intervals`, async () => {
      await holderWithSkew(skewMs);
      const c = clocks();
      const reader = await claimsFor("reader", c);
      // Held at 0, 1, ..., 4 intervals of watching (the exact edge: the unit tests above).
      for (let i = 0; i <= STALE_AFTER_BEATS; i++) {
        expect(await reader.claim(block)).toEqual({ verdict: "held" });
        c.t += INTERVAL;
      }
      expect(await reader.claim(block)).toMatchObject({ verdict: "mine", generation: 1 });
    });
  }
});
