// Pipeline claims judge other runners on this machine's own clock (a HeartbeatWatch): a
// runner on a machine whose clock is minutes off is neither taken for dead while it beats
// nor kept alive once it stops.
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { HeartbeatWatch, runnerProcess } from "@themis/core";
import { describe, expect, it } from "vitest";
import { isLive } from "../src/liveness.js";
import type { PipelineRunRecord } from "../src/run-record.js";

const MINUTE = 60_000;
const BEAT_MS = 1000;

/** A running record of a runner on another host, whose last beat says `beatAt`. */
const record = (beatAt: number): PipelineRunRecord => ({
  _row_id: "run-elsewhere",
  pipeline: "p",
  status: "running",
  started_at: new Date(beatAt - MINUTE).toISOString(),
  finished_at: null,
  resumed: 0,
  host: "another-host.invalid",
  pid: 1,
  runner: null,
  heartbeat_at: new Date(beatAt).toISOString(),
  heartbeat_ms: BEAT_MS,
  stages: {},
  error: null,
});

/** A watch on clocks the test moves: `tick(ms)` advances both. */
function clocks() {
  let mono = 0;
  // Starts at the real time: the single looks (no watch) compare with the real clock.
  let wall = Date.now();
  const watch = new HeartbeatWatch({ now: () => mono, wallNow: () => wall });
  return {
    watch,
    wall: () => wall,
    tick: (ms: number) => {
      mono += ms;
      wall += ms;
    },
  };
}

describe("isLive with a watch (pipeline claims)", () => {
  it("a runner whose clock is 3 min behind stays live while it beats (a single look calls it dead)", () => {
    const c = clocks();
    let beat = c.wall() - 3 * MINUTE;
    expect(isLive(record(beat))).toBe(false);
    for (let i = 0; i < 20; i++) {
      expect(isLive(record(beat), c.watch)).toBe(true);
      c.tick(BEAT_MS);
      beat += BEAT_MS;
    }
  });

  it("a runner whose clock is 3 min ahead is dead once its heartbeat stops changing for 4 beats (a single look calls it live)", () => {
    const c = clocks();
    const beat = c.wall() + 3 * MINUTE;
    expect(isLive(record(beat))).toBe(true);
    expect(isLive(record(beat), c.watch)).toBe(true);
    c.tick(4 * BEAT_MS);
    expect(isLive(record(beat), c.watch)).toBe(true);
    c.tick(BEAT_MS);
    expect(isLive(record(beat), c.watch)).toBe(false);
  });

  it("a runner silent for longer than the clock tolerance is dead at first sight", () => {
    const c = clocks();
    expect(isLive(record(c.wall() - 10 * MINUTE), c.watch)).toBe(false);
  });

  it("an ended run is not live, watched or not", () => {
    const c = clocks();
    const done = { ...record(c.wall()), status: "completed" as const };
    expect(isLive(done)).toBe(false);
    expect(isLive(done, c.watch)).toBe(false);
  });
});

describe("isLive of a runner on this host", () => {
  const exited = () => spawnSync(process.execPath, ["-e", ""]).pid ?? 0;
  const fresh = (over: Pick<PipelineRunRecord, "host" | "pid" | "runner">): PipelineRunRecord => ({ ...record(Date.now()), ...over });

  it("a runner whose process is gone is dead at once, with a fresh heartbeat, watched or not", () => {
    const pid = exited();
    const gone = fresh({ host: hostname(), pid, runner: { ...runnerProcess(), pid } });
    expect(isLive(gone)).toBe(false);
    expect(isLive(gone, new HeartbeatWatch())).toBe(false);
    // A record of an earlier version (host and pid only) is judged the same way.
    expect(isLive(fresh({ host: hostname(), pid, runner: null }))).toBe(false);
    expect(isLive(fresh({ host: hostname(), pid: process.pid, runner: runnerProcess() }))).toBe(true);
  });

  it.runIf(process.platform === "linux")("a runner in another pid namespace (a container sharing the host name) is not judged by its pid", () => {
    const pid = exited();
    const other = fresh({ host: hostname(), pid, runner: { ...runnerProcess(), pid, pidns: "pid:[1]" } });
    expect(isLive(other, new HeartbeatWatch())).toBe(true);
  });
});
