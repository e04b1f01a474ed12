// A runner or lock holder on this very host that is gone (kill -9, a crash) is known dead at
// once from its recorded process identity; one of another host or pid namespace (a container
// sharing the host name) cannot be judged by its pid, and is left to its heartbeat.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { currentProcess, processRunning, processStart } from "../dist/backend/index.js";
import { HeartbeatWatch, Project, type Table, runState, runnerProcess } from "../dist/index.js";
import { BLOCK_ROWS } from "../dist/experiment/claim-ids.js";
import { BlockClaims, claimsTable } from "../dist/experiment/claims.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";
import { taskKeyOf } from "../dist/experiment/run-setup.js";

/** The pid of a process that has exited (a child run to its end). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  if (child.pid === undefined) throw new Error("could not start a child process");
  return child.pid;
}

describe("processRunning", () => {
  it("this process runs; a process that exited does not", () => {
    expect(processRunning(currentProcess)).toBe(true);
    expect(processRunning({ ...currentProcess, pid: deadPid() })).toBe(false);
  });

  it("another host or another pid namespace: cannot tell (undefined), whatever the pid", () => {
    expect(processRunning({ ...currentProcess, host: "another-host.invalid", pid: deadPid() })).toBeUndefined();
    const self = { ...currentProcess, pidns: "pid:[1]" };
    expect(processRunning({ ...currentProcess, pid: deadPid(), pidns: "pid:[2]" }, self)).toBeUndefined();
  });

  it.runIf(process.platform === "linux")(
    "a pid reused by another process (other start time) is gone; another boot id (a reboot, or another machine of that name) cannot tell",
    () => {
      expect(currentProcess.boot).toMatch(/^[0-9a-f-]{36}$/);
      expect(currentProcess.pidns).toMatch(/^pid:\[\d+\]$/);
      expect(processStart(process.pid)).toBe(currentProcess.start);
      expect(processRunning({ ...currentProcess, start: `${currentProcess.start}0` })).toBe(false);
      expect(processRunning({ ...currentProcess, pid: process.ppid, start: "1" })).toBe(false);
      expect(processRunning({ ...currentProcess, pid: deadPid(), boot: randomUUID() })).toBeUndefined();
    },
  );

  it.runIf(process.platform === "linux")("a process that exited but was not reaped by its parent (a zombie) does not run", async () => {
    // `sleep 0` exits at once; its parent `exec`s into `sleep 30`, which never reaps it.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const [line] = (await once(parent.stdout!, "data")) as [Buffer];
      const pid = Number(line.toString().trim());
      const state = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
      await expect.poll(state, { timeout: 10_000 }).toBe("Z");
      // It still answers kill(pid, 0) and has its start time: only its state tells.
      expect(() => process.kill(pid, 0)).not.toThrow();
      const start = processStart(pid);
      expect(start).toMatch(/^\d+$/);
      expect(processRunning({ ...currentProcess, pid, start })).toBe(false);
      expect(processRunning({ host: currentProcess.host, pid })).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("an identity written before boot id, start time and namespace were recorded is judged on host and pid", () => {
    expect(processRunning({ host: currentProcess.host, pid: process.pid })).toBe(true);
    expect(processRunning({ host: currentProcess.host, pid: deadPid(), boot: null, start: null, pidns: null })).toBe(false);
  });
});

describe("a run whose process is gone from this host is stale at once", () => {
  const now = new Date().toISOString();
  const record = (pid: number, host = currentProcess.host) => ({
    status: "running" as const,
    started_at: now,
    heartbeat_at: now,
    heartbeat_ms: 60_000,
    runner: { ...runnerProcess(), host, pid },
  });

  it("runState and a HeartbeatWatch: stale with a fresh heartbeat; running when the process runs or is on another host", () => {
    const watch = new HeartbeatWatch();
    const dead = deadPid();
    expect(runState(record(dead))).toBe("stale");
    expect(watch.state("dead", record(dead))).toBe("stale");
    expect(runState(record(process.pid))).toBe("running");
    expect(watch.state("self", record(process.pid))).toBe("running");
    expect(runState(record(dead, "another-host.invalid"))).toBe("running");
    expect(watch.state("elsewhere", record(dead, "another-host.invalid"))).toBe("running");
    // Records of earlier versions, without the runner's process: their heartbeat decides.
    expect(runState({ ...record(dead), runner: null })).toBe("running");
  });

  describe("block claims", () => {
    let project: Project;
    let runs: Table;
    beforeEach(async () => {
      project = await Project.create("p", "memory", { namespace: `identity-${randomUUID()}` });
      await (await project.createDataset("qa")).appendMany(Array.from({ length: 10 }, (_, n) => ({ n })));
      await project.createExperiment("e");
      runs = await project.internalTable("experiment", RUNS_TABLE);
    });
    afterEach(() => project.close());

    it("a block held by a runner killed on this host is taken over without waiting for its heartbeat (one minute)", async () => {
      const key = taskKeyOf(async () => 0, { taskId: "t" }, {}).key;
      const ids = (await (await project.getDataset("qa")).load()).map((r) => r._row_id);
      const claims = await project.internalTable("experiment", claimsTable("e"));
      const results = await project.getExperiment("e");
      const claimer = (runId: string) => new BlockClaims(claims, runs, results, { runId, experiment: "e", key, failedBefore: new Map() });
      await runs.append({ _row_id: "killed", run_id: "killed", ...record(deadPid()) });
      await runs.append({ _row_id: "alive", run_id: "alive", ...record(process.pid) });
      const block = { index: 0, rows: ids.slice(0, BLOCK_ROWS) };
      // The killed runner held block 0: the next runner takes it at its first look.
      expect((await claimer("killed").claimBlocks([block])).get(0)?.verdict).toBe("mine");
      expect((await claimer("alive").claimBlocks([block])).get(0)).toMatchObject({ verdict: "mine", generation: 1 });
      // Now a live runner (this process) holds it: the next one waits.
      expect((await claimer("third").claimBlocks([block])).get(0)?.verdict).toBe("held");
    });
  });
});
