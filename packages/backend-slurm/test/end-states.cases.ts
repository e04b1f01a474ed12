// The contract on a real cluster: stopping a job really scancels it, SLURM's own end
// states (a job cancelled or killed by the cluster, over its memory, over its time limit,
// a failed node) map to Themis errors, and nothing is left in the queue.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SlurmExecutor } from "../src/index.ts";
import { slurmTestEnv } from "./env.ts";
import { alive, createSlurmExecutor, jobState, queued, runJob } from "./helpers.ts";

const env = slurmTestEnv();
const executors: SlurmExecutor[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), "themis-slurm-test-"));

afterAll(async () => {
  for (const executor of executors) await executor.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function executor(config: Parameters<typeof createSlurmExecutor>[1] = {}): Promise<SlurmExecutor> {
  if (!env) throw new Error("no cluster");
  const created = await createSlurmExecutor(env, config);
  executors.push(created);
  return created;
}

/** The SLURM job id of the executor's one running job, once it is submitted and running. */
async function runningJob(executor: SlurmExecutor): Promise<string> {
  for (;;) {
    const [id] = executor.activeJobs;
    if (id !== undefined && env && jobState(env, id).startsWith("RUNNING")) return id;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pid a job wrote to `file`, if it did. */
function pidIn(file: string): number | undefined {
  const text = (() => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  })();
  return /^\d+\n/.test(text) ? Number(text.trim()) : undefined;
}

/** Poll (no fixed sleep) until a file has a pid in it; undefined once `over()` says to stop looking. */
async function pidFrom(file: string, over: () => boolean = () => false): Promise<number | undefined> {
  for (;;) {
    const pid = pidIn(file);
    if (pid !== undefined || over()) return pid;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function scontrol(...args: string[]): string {
  if (!env) throw new Error("no cluster");
  return execFileSync("scontrol", args, { env: { ...process.env, SLURM_CONF: env.slurmConf }, encoding: "utf8" });
}

describe.skipIf(!env)("slurm", () => {
  it("a per-job timeout scancels the job: SLURM ends it CANCELLED and its processes are gone", async () => {
    const slurm = await executor({ timeout: "3s" });
    const pidFile = path.join(scratch, "timeout.pid");
    const run = runJob(slurm, { kind: "command", argv: ["sh", "-c", 'echo $$ > "$1"; sleep 300', "job", pidFile] });
    let ended = false;
    void run.finally(() => (ended = true));
    // The job id once submitted (the timeout runs from submission: on a loaded machine the job
    // may still be pending, or its command not yet started, when it fires).
    let id: string | undefined;
    while (id === undefined && !ended) {
      id = slurm.activeJobs[0];
      if (id === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    const pid = await pidFrom(pidFile, () => ended);
    const out = await run;
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.code).toBe("ERR_THEMIS_TIMEOUT");
    if (id === undefined) throw new Error("the job ended before its id was seen");
    expect(jobState(env ?? { slurmConf: "", workDir: "" }, id)).toMatch(/^CANCELLED/);
    // Its command, if it started, is gone; one that had not started never starts.
    if (pid === undefined)
      console.info("the timeout fired before the job's command started (a loaded machine): its end state and that no process starts late are checked");
    expect(pid === undefined || !alive(pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    const late = pidIn(pidFile);
    expect(late === undefined || !alive(late)).toBe(true);
    expect(slurm.activeJobs).toEqual([]);
  });

  it("cancelling through the signal scancels the job; so does close() for every job it submitted", async () => {
    const slurm = await executor();
    const controller = new AbortController();
    const run = runJob(slurm, { kind: "command", argv: ["sleep", "300"] }, controller.signal);
    const id = await runningJob(slurm);
    controller.abort();
    const out = await run;
    expect(!out.ok && out.error.code).toBe("ERR_THEMIS_ABORTED");
    expect(jobState(env ?? { slurmConf: "", workDir: "" }, id)).toMatch(/^CANCELLED/);

    const closing = await executor();
    const runs = [0, 1].map((index) => closing.run({ kind: "command", argv: ["sleep", "300"] }, { signal: new AbortController().signal, attempt: 1, index }));
    while (closing.activeJobs.length < 2) await new Promise((r) => setTimeout(r, 100));
    const ids = [...closing.activeJobs];
    await closing.close();
    for (const result of await Promise.all(runs)) expect(!result.ok && result.error.code).toBe("ERR_THEMIS_ABORTED");
    for (const jobId of ids) expect(jobState(env ?? { slurmConf: "", workDir: "" }, jobId)).toMatch(/^CANCELLED/);
  });

  it("a job cancelled by someone else (scancel outside Themis) is a failure that says so, not a success", async () => {
    const slurm = await executor();
    const run = runJob(slurm, { kind: "command", argv: ["sleep", "300"] });
    const id = await runningJob(slurm);
    execFileSync("scancel", [id], { env: { ...process.env, SLURM_CONF: env?.slurmConf } });
    const out = await run;
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.code).toBe("ERR_THEMIS_JOB_FAILED");
      expect(out.error.message).toMatch(new RegExp(`SLURM job ${id} was cancelled outside this executor`));
    }
    expect(out.stderr?.text).toMatch(/CANCELLED/);
  });

  it("a job killed by the cluster (its node set DOWN) is NODE_FAIL: a retryable failure", async () => {
    // --no-requeue: by default SLURM requeues a batch job whose node failed (and this
    // executor follows it through PENDING and RUNNING again until it really ends).
    const slurm = await executor({ directives: ["--no-requeue"] });
    const run = runJob(slurm, { kind: "command", argv: ["sleep", "300"] });
    const id = await runningJob(slurm);
    try {
      scontrol("update", "nodename=localhost", "state=down", "reason=themis-test");
      const out = await run;
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.error.code).toBe("ERR_THEMIS_JOB_FAILED");
        expect(out.error.retryable).toBe(true);
        expect(out.error.message).toContain(`SLURM job ${id} ended because its node failed (NODE_FAIL)`);
      }
    } finally {
      try {
        scontrol("update", "nodename=localhost", "state=resume");
      } catch {
        // "Invalid node state specified": the node is already back (or never went down).
      }
    }
    // The node is back: the next job runs.
    const after = await runJob(slurm, { kind: "command", argv: ["echo", "back"] });
    expect(after.ok && after.value).toBe("back\n");
  });

  it("slurmctld frozen for 13 s (every squeue blocked meanwhile) does not fail or cancel the job waiting on it", async () => {
    if (!env) return;
    const slurm = await executor();
    const run = runJob(slurm, { kind: "command", argv: ["sh", "-c", "sleep 3; echo done"] });
    await runningJob(slurm);
    // Freeze slurmctld while the job ends: the poll in flight blocks until it answers again.
    // (squeue here waits rather than failing; failing polls are retried for 2 minutes, which
    // this test does not reach.)
    const pid = Number(readFileSync(path.join(path.dirname(env.slurmConf), "slurmctld.pid"), "utf8"));
    process.kill(pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 13_000));
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const out = await run;
    expect(out.ok && out.value).toBe("done\n");
  });

  it("over its --mem a job is killed by SLURM, and the result says it was memory; a failing exit keeps its code", async () => {
    const slurm = await executor({ memory: "40M" });
    const hog = await runJob(slurm, { kind: "command", argv: ["node", "-e", "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));"] });
    expect(hog.ok).toBe(false);
    if (!hog.ok) {
      expect(hog.error.code).toBe("ERR_THEMIS_JOB_FAILED");
      expect(hog.error.message).toMatch(/was killed for using more memory than it asked for \(--mem=40M\)/);
    }
    expect(hog.termSignal).toBe("SIGKILL");
    const failed = await runJob(slurm, { kind: "command", argv: ["sh", "-c", "echo bad >&2; exit 7"] });
    expect(failed.ok).toBe(false);
    expect(failed.exitCode).toBe(7);
    expect(failed.stderr?.text).toBe("bad\n");
    if (!failed.ok) expect(failed.error.message).toMatch(/exited with code 7/);
  });

  it("argv, env and stdin reach the program byte for byte (quotes, $(), newlines)", async () => {
    const slurm = await executor();
    const nasty = 'it\'s $(touch /tmp/themis-pwned) `id` "q" \\ \n; exit 9';
    const out = await runJob(slurm, {
      kind: "command",
      argv: ["sh", "-c", 'printf "%s|%s|" "$1" "$NASTY"; cat', "job", nasty],
      env: { NASTY: nasty },
      stdin: nasty,
    });
    expect(out.ok && out.value).toBe(`${nasty}|${nasty}|${nasty}`);
  });

  it("a module job whose node program is missing says where to look", async () => {
    const slurm = await executor({ node: "/nonexistent/node" });
    const out = await runJob(slurm, { kind: "module", module: "node:os", export: "platform" });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.message).toMatch(/exited with code 127 \(is "\/nonexistent\/node" on PATH on the compute nodes\?/);
  });

  it("describe() gives the scheduler, its version and the cluster name, not the config", async () => {
    const slurm = await executor({ partition: "debug", env: { SECRET_TOKEN: "hunter2" } });
    const info = await slurm.describe();
    expect(info).toMatchObject({ scheduler: "slurm", cluster: "themistest", resources: { partition: "debug" } });
    expect(String(info.version)).toMatch(/^\d+\.\d+/);
    expect(JSON.stringify(info)).not.toContain("hunter2");
  });

  it("SLURM's time limit ends a job TIMEOUT, which is ERR_THEMIS_TIMEOUT (the one slow test: 60-90 s)", async () => {
    const slurm = await executor({ timeLimit: 1 });
    const out = await runJob(slurm, { kind: "command", argv: ["sleep", "600"] });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.code).toBe("ERR_THEMIS_TIMEOUT");
      expect(out.error.message).toMatch(/reached its SLURM time limit \(--time=1\)/);
    }
    expect(out.stderr?.text).toMatch(/DUE TO TIME LIMIT/);
  }, 180_000);

  it("leaves no job in the queue", async () => {
    for (const executor of executors) await executor.close();
    expect(queued(env ?? { slurmConf: "", workDir: "" })).toEqual([]);
  });
});
