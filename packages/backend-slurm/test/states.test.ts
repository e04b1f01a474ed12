// Every SLURM end state maps to a Themis result: an exit decided by the exit code, or an
// error with a code. (The states a one-node test cluster cannot produce on demand, such
// as BOOT_FAIL or PREEMPTED, are covered here; the others also run for real in end-states.cases.ts.)
import { describe, expect, it } from "vitest";
import { type FinalState, decodeExitStatus, isTerminal, stateOutcome } from "../src/index.ts";
import { slurmTimeMs } from "../src/slurm-values.ts";

const final = (state: string, reason = "None"): FinalState => ({ jobId: "42", state, reason, exitCode: null, termSignal: "SIGKILL" });

describe("SLURM end states", () => {
  it.each([
    ["COMPLETED", "exited", undefined, false],
    ["FAILED", "exited", undefined, false],
    ["OUT_OF_MEMORY", "error", "ERR_THEMIS_JOB_FAILED", false],
    ["TIMEOUT", "error", "ERR_THEMIS_TIMEOUT", false],
    ["DEADLINE", "error", "ERR_THEMIS_JOB_FAILED", false],
    ["CANCELLED", "error", "ERR_THEMIS_JOB_FAILED", false],
    ["NODE_FAIL", "error", "ERR_THEMIS_JOB_FAILED", true],
    ["BOOT_FAIL", "error", "ERR_THEMIS_JOB_FAILED", true],
    ["PREEMPTED", "error", "ERR_THEMIS_JOB_FAILED", true],
    ["UNKNOWN", "error", "ERR_THEMIS_JOB_FAILED", true],
    ["SPECIAL_EXIT", "error", "ERR_THEMIS_JOB_FAILED", false],
  ])("%s → %s %s (retryable %s)", (state, kind, code, retryable) => {
    expect(isTerminal(state)).toBe(state !== "UNKNOWN");
    const outcome = stateOutcome(final(state), { memory: "50M", timeLimit: "1" });
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === "error") {
      expect(outcome.error.code).toBe(code);
      expect(outcome.error.retryable).toBe(retryable);
      expect(outcome.error.message).toContain("SLURM job 42");
    }
  });

  it("names the limit that was hit", () => {
    const oom = stateOutcome(final("OUT_OF_MEMORY"), { memory: "50M" });
    expect(oom.kind === "error" && oom.error.message).toMatch(/more memory than it asked for \(--mem=50M\)/);
    const over = stateOutcome(final("FAILED"), { memory: "50M", overMemory: true });
    expect(over.kind === "error" && over.error.message).toMatch(/--mem=50M/);
    const timeout = stateOutcome(final("TIMEOUT"), { timeLimit: "1" });
    expect(timeout.kind === "error" && timeout.error.message).toMatch(/SLURM time limit \(--time=1\)/);
    expect(timeout.kind === "error" && (timeout.error as { timeoutMs?: number }).timeoutMs).toBe(60_000);
  });

  it("keeps PENDING, RUNNING, COMPLETING, SUSPENDED and REQUEUED as not ended", () => {
    for (const state of ["PENDING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "CONFIGURING"]) expect(isTerminal(state)).toBe(false);
  });

  it("decodes squeue's exit_code (a wait status) like scontrol's ExitCode=code:signal", () => {
    expect(decodeExitStatus(768)).toEqual({ exitCode: 3, termSignal: null });
    expect(decodeExitStatus(0)).toEqual({ exitCode: 0, termSignal: null });
    expect(decodeExitStatus(9)).toEqual({ exitCode: null, termSignal: "SIGKILL" });
    expect(decodeExitStatus(15)).toEqual({ exitCode: null, termSignal: "SIGTERM" });
  });

  it("reads SLURM time limits as sbatch does", () => {
    const cases: Array<[string, number | undefined]> = [
      ["5", 300_000],
      ["5:30", 330_000],
      ["1:02:03", 3_723_000],
      ["2-3", 183_600_000],
      ["2-3:04", 183_840_000],
      ["1-0:0:1", 86_401_000],
      ["UNLIMITED", undefined],
    ];
    for (const [value, ms] of cases) expect(slurmTimeMs(value), value).toBe(ms);
  });
});
