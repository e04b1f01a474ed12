import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { Project, type RunRecord, getRun, resolveModuleFile } from "@themis/core";
import type { ResolvedClaimsSuiteOptions } from "./options.js";
import { type Runner, type RunnerJob, startRunner } from "./processes.js";

/** The results stored in the shared experiment. */
export type ResultRows = Awaited<ReturnType<Awaited<ReturnType<Project["getExperiment"]>>["load"]>>;

/** One test's fresh store: the project "claims" with dataset "qa" and experiment "shared". */
export interface ClaimsSetup {
  /** The marker file the runners write to (see processes.ts). */
  marker: string;
  /** A runner's job: the suite's defaults (delay 5 ms a row, concurrency 4) with `extra` over them. */
  job(tag: string, extra?: Partial<RunnerJob>): RunnerJob;
  /** Start a runner with `job(tag, extra)`. */
  start(tag: string, extra?: Partial<RunnerJob>): Runner;
  /** Let the runners that are waiting for it start claiming. */
  go(): void;
  /** The stored results, read in this process. */
  results(): Promise<ResultRows>;
  /** The record of run `runId` (its `started_at`, `heartbeat_at`, … as its runner wrote them). */
  run(runId: string): Promise<RunRecord>;
  /** Append `count` rows to the dataset, numbered from `from`. */
  append(from: number, count: number): Promise<void>;
  /** Kill the runners still alive (a failed test's), close the project, remove the store and the marker. */
  close(): Promise<void>;
}

/** What every area of the claims suite works with. */
export interface ClaimsContext {
  readonly options: ResolvedClaimsSuiteOptions;
  /** A fresh store with a dataset of `n` rows `{ n: 0 }`, `{ n: 1 }`, … and an empty experiment. */
  setup(label: string, n: number): Promise<ClaimsSetup>;
}

export function claimsContext(options: ResolvedClaimsSuiteOptions): ClaimsContext {
  // Resolved here, not in each runner: a runner inside this package could not see a
  // package the backend's own tests depend on.
  let moduleUrl: string | undefined;
  const backendUrl = () => (moduleUrl ??= pathToFileURL(resolveModuleFile(options.module, options.resolveFrom)).href);

  const setup = async (label: string, n: number): Promise<ClaimsSetup> => {
    const store = await options.store(label);
    const project = await Project.create("claims", options.definition, store.config);
    const marker = path.join(mkdtempSync(path.join(tmpdir(), "themis-claims-break-")), "marks.txt");
    writeFileSync(marker, "");
    const runners: Runner[] = [];
    const close = async () => {
      // Only a failed test leaves runners behind (a frozen one would keep its blocks, and
      // vitest waiting): SIGKILL ends stopped processes too.
      for (const r of runners) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
      await Promise.all(runners.map((r) => r.exited));
      await project.close();
      await store.cleanup?.();
      rmSync(path.dirname(marker), { recursive: true, force: true });
    };
    try {
      if (n > 0) await (await project.createDataset("qa")).appendMany(Array.from({ length: n }, (_, i) => ({ n: i })));
      await project.createExperiment("shared");
    } catch (error) {
      await close();
      throw error;
    }
    const job = (tag: string, extra: Partial<RunnerJob> = {}): RunnerJob => ({
      backend: backendUrl(),
      exportName: options.exportName,
      config: store.config,
      marker,
      tag,
      heartbeatMs: options.heartbeatMs,
      delayMs: 5,
      concurrency: 4,
      ...extra,
    });
    return {
      marker,
      job,
      start: (tag, extra) => {
        const runner = startRunner(job(tag, extra));
        runners.push(runner);
        return runner;
      },
      go: () => writeFileSync(`${marker}.go`, ""),
      results: async () => (await project.getExperiment("shared")).load(),
      run: (runId) => getRun(project, runId),
      append: async (from, count) => {
        await (await project.getDataset("qa")).appendMany(Array.from({ length: count }, (_, i) => ({ n: from + i })));
      },
      close,
    };
  };
  return { options, setup };
}

/** The summary a runner printed, after checking that it exited with code 0. */
export async function succeeded(runner: Runner): Promise<{ status: string; succeeded: number }> {
  const end = await runner.exited;
  expect(end.code, end.err).toBe(0);
  return JSON.parse(end.out.split("\n")[1] ?? "") as { status: string; succeeded: number };
}

/** Exactly one ok result per dataset row, with the task's output. */
export function expectOneResultPerRow(rows: ResultRows, n: number): void {
  expect(rows).toHaveLength(n);
  expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(n);
  expect(rows.filter((r) => r.status !== "ok" || r.output !== (r.input as { n: number }).n * 2)).toEqual([]);
}
