// Trying to break runExperiment's block claims with real runner processes on local/csv files:
// runners killed with SIGKILL at a random moment, and a dataset one row past a block. (No
// SIGSTOP test here: a runner frozen while it holds the experiment file's lock keeps every
// other runner on the host waiting on that lock, since its process is alive, until
// lockTimeoutMs, then they fail with ERR_THEMIS_CONFLICT: file locks, not claims.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { type Runner, readMarks, rowsRunTwice, seededRandom, startRunner } from "../../core/test/support/claims-processes.js";
import { localCsvBackend } from "../src/index.js";

/** The backend the runner processes load: the built one, as a user's process would. */
const RUNNER_BACKEND = { backend: new URL("../dist/index.js", import.meta.url).href, exportName: "localCsvBackend" };
import { removeDir, tempDir } from "./helpers.js";

// Beats 300 ms apart, stale after 1.2 s.
const HEARTBEAT_MS = 300;

/** A fresh project with a dataset of `n` rows, and a marker file for the runners. */
async function setup(label: string, n: number) {
  const config = { rootDir: tempDir(`themis-claims-${label}-`) };
  const project = await Project.create("claims", localCsvBackend, config);
  if (n > 0) await (await project.createDataset("qa")).appendMany(Array.from({ length: n }, (_, i) => ({ n: i })));
  await project.createExperiment("shared");
  const marker = path.join(mkdtempSync(path.join(tmpdir(), "themis-claims-break-")), "marks.txt");
  writeFileSync(marker, "");
  const job = (tag: string, extra: Record<string, unknown> = {}) => ({
    ...RUNNER_BACKEND,
    config,
    marker,
    tag,
    heartbeatMs: HEARTBEAT_MS,
    delayMs: 5,
    concurrency: 4,
    ...extra,
  });
  const results = async () => (await project.getExperiment("shared")).load();
  const close = async () => {
    await project.close();
    await removeDir(config.rootDir);
    rmSync(path.dirname(marker), { recursive: true, force: true });
  };
  return { marker, job, results, close, go: () => writeFileSync(`${marker}.go`, "") };
}

async function succeeded(runner: Runner): Promise<{ status: string; succeeded: number }> {
  const end = await runner.exited;
  expect(end.code, end.err).toBe(0);
  return JSON.parse(end.out.split("\n")[1] ?? "") as { status: string; succeeded: number };
}

/** Exactly one ok result per dataset row, with the task's output. */
function expectOneResultPerRow(rows: Awaited<ReturnType<Awaited<ReturnType<typeof setup>>["results"]>>, n: number): void {
  expect(rows).toHaveLength(n);
  expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(n);
  expect(rows.filter((r) => r.status !== "ok" || r.output !== (r.input as { n: number }).n * 2)).toEqual([]);
}

describe("block claims against frozen and killed runner processes (local/csv)", () => {
  for (const seed of [6]) {
    it(`kill -9 of one of 3 runners at a random moment (seed ${seed}), then a resume: one result per row, reruns only of rows the dead runner left unstored`, {
      timeout: 90_000,
    }, async () => {
      const N = 320;
      const rand = seededRandom(seed);
      const s = await setup(`kill-${seed}`, N);
      try {
        const runners = ["a", "b", "c"].map((tag) => startRunner(s.job(tag, { delayMs: 10 })));
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
        const resume = startRunner(s.job("resume"));
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

  for (const n of [65]) {
    it(`${n} rows, 3 runners at once: no hang, every row run once`, { timeout: 30_000 }, async () => {
      const s = await setup(`small-${n}`, n);
      try {
        // Slow rows: a runner with a short block finishes while another is still mid-block.
        const runners = ["a", "b", "c"].map((tag) => startRunner(s.job(tag, { delayMs: 30 })));
        await Promise.all(runners.map((r) => r.ready));
        s.go();
        const summaries = await Promise.all(runners.map(succeeded));
        expect(summaries.map((x) => x.status)).toEqual(["completed", "completed", "completed"]);
        expect(summaries.reduce((sum, x) => sum + x.succeeded, 0)).toBe(n);
        expectOneResultPerRow(await s.results(), n);
        expect(rowsRunTwice(readMarks(s.marker))).toEqual([]);
      } finally {
        await s.close();
      }
    });
  }
});
