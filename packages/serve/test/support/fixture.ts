// A real local/csv project on disk for the tests: a small dataset, a real run of an
// experiment, a hand-written "running" run record the tests advance, and hostile values.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Project, type RunRecord, type Table } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";

export const PROJECT = "evals";

/** Values a page must show as text and never run. */
export const XSS_IMG = `<img src=x onerror="window.__xss = 'img'">`;
export const XSS_SCRIPT = `<script>window.__xss = 'script'</script>`;
export const XSS_LINK = `javascript:window.__xss = 'link'`;

export interface Fixture {
  rootDir: string;
  /** A second Project on the same files: the tests write through it while the server reads. */
  project: Project;
  /** Id of the record the tests move along as a runner would. */
  liveRunId: string;
  /** Id of a "running" record whose runner stopped beating an hour ago: core's `runState` calls it stale. */
  staleRunId: string;
  runs: Table;
  cleanup(): Promise<void>;
}

/** Rows of the big experiment: row i has a known score and label, so sorts and filters have known answers. */
export function bigRow(i: number): { i: number; label: string; score: number; output: { text: string; tokens: number } } {
  return { i, label: `item-${String(i).padStart(6, "0")}`, score: (i * 7919) % 100_003, output: { text: `answer ${i}`, tokens: i % 50 } };
}

/** Build the project. `bigRows` rows go into the experiment "big" (in batches, quickly). */
export async function makeFixture(bigRows: number): Promise<Fixture> {
  const rootDir = await mkdtemp(path.join(tmpdir(), "themis-serve-"));
  const project = await Project.create(PROJECT, localCsvBackend, { rootDir });
  const qa = await project.createDataset("qa");
  await qa.appendMany([
    { question: "2+2?", answer: "4" },
    { question: XSS_IMG, answer: XSS_SCRIPT, link: XSS_LINK },
    { question: "long", answer: "word ".repeat(400), nested: { a: [1, 2, { b: "deep" }], ok: true } },
  ]);
  await project.runExperiment({
    dataset: "qa",
    experiment: "qa-run",
    task: (row) => ({ echoed: row.question }),
    parameters: { model: "echo", temperature: 0 },
  });
  const big = await project.createExperiment("big");
  for (let start = 0; start < bigRows; start += 20_000) {
    await big.appendMany(Array.from({ length: Math.min(20_000, bigRows - start) }, (_, k) => bigRow(start + k)));
  }
  const runs = await project.internalTable("experiment", "__runs");
  const [done] = (await runs.load()) as unknown as RunRecord[];
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const staleRunId = "dead-run";
  await runs.append({
    ...done!,
    _row_id: staleRunId,
    run_id: staleRunId,
    status: "running",
    finished_at: null,
    duration_ms: null,
    heartbeat_at: hourAgo,
    heartbeat_ms: 5000,
  });
  const liveRunId = "live-run";
  await runs.append({
    ...done!,
    _row_id: liveRunId,
    run_id: liveRunId,
    experiment: "big",
    status: "running",
    finished_at: null,
    duration_ms: null,
    counts: { total: 1000, succeeded: 0, failed: 0, skipped: 0 },
    metrics: { exact: { count: 10, mean: 0.5, p50: 1 } },
    // Fresh, and a beat a day: a slow test run never sees this record go stale.
    heartbeat_at: new Date().toISOString(),
    heartbeat_ms: 86_400_000,
  });
  return {
    rootDir,
    project,
    liveRunId,
    staleRunId,
    runs,
    async cleanup() {
      await project.close();
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}

/** Move the live run along as its runner would (a new record, the same id). */
export async function advanceRun(fixture: Fixture, succeeded: number, status: "running" | "completed" = "running"): Promise<void> {
  const record = (await fixture.runs.get(fixture.liveRunId)) as unknown as RunRecord;
  await fixture.runs.update(fixture.liveRunId, { ...record, status, counts: { ...record.counts, succeeded } });
}
