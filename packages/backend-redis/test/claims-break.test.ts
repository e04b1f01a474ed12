// Trying to break runExperiment's block claims with real runner processes on a real Redis:
// a holder frozen (SIGSTOP) past its heartbeat and woken after its blocks were taken over,
// runners killed with SIGKILL at random moments, and datasets smaller than one block.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { type Runner, readMarks, rowsRunTwice, seededRandom, startRunner } from "../../core/test/support/claims-processes.js";

/** The backend the runner processes load: the built one, as a user's process would. */
const RUNNER_BACKEND = { backend: new URL("../dist/index.js", import.meta.url).href, exportName: "redisBackend" };
import { createBackend, dropPrefix, rawClient, redisAvailable, redisUrl, uniquePrefix } from "./support/env.js";

const raw = redisAvailable ? rawClient() : undefined;
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) if (raw) await dropPrefix(raw, prefix);
  raw?.disconnect();
});

/** A fresh project with a dataset of `n` rows, and a marker file for the runners. */
async function setup(label: string, n: number) {
  const keyPrefix = uniquePrefix(label);
  prefixes.push(keyPrefix);
  const backend = await createBackend({ keyPrefix });
  const project = await Project.create("claims", backend);
  if (n > 0) await (await project.createDataset("qa")).appendMany(Array.from({ length: n }, (_, i) => ({ n: i })));
  await project.createExperiment("shared");
  const marker = path.join(mkdtempSync(path.join(tmpdir(), "themis-claims-break-")), "marks.txt");
  writeFileSync(marker, "");
  const job = (tag: string, extra: Record<string, unknown> = {}) => ({
    ...RUNNER_BACKEND,
    config: { url: redisUrl, keyPrefix },
    marker,
    tag,
    heartbeatMs: 200,
    delayMs: 5,
    concurrency: 4,
    ...extra,
  });
  const results = async () => (await project.getExperiment("shared")).load();
  const append = async (from: number, count: number) => (await project.getDataset("qa")).appendMany(Array.from({ length: count }, (_, i) => ({ n: from + i })));
  const close = async () => {
    await project.close();
    await backend.close();
    rmSync(path.dirname(marker), { recursive: true, force: true });
  };
  return { marker, job, results, append, close, go: () => writeFileSync(`${marker}.go`, "") };
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

describe.skipIf(!redisAvailable)("block claims against frozen and killed runner processes (redis)", () => {
  it("a holder frozen past its heartbeat, taken over, then woken: it starts no row of a block it lost", { timeout: 60_000 }, async () => {
    const N = 640;
    const s = await setup("sigstop", N);
    try {
      const a = startRunner(s.job("a", { delayMs: 20 }));
      await a.ready;
      s.go();
      while ((readMarks(s.marker).rowsOf.get("a")?.length ?? 0) < 100) await delay(10);
      a.child.kill("SIGSTOP");
      // A request already on the wire still lands: let it, then see what `a` had done.
      await delay(300);
      const before = readMarks(s.marker);
      const startedByA = new Set(before.rowsOf.get("a"));
      const runA = before.runOf.get("a");
      const storedByA = new Set((await s.results()).filter((r) => r.run_id === runA).map((r) => String(r.dataset_row_id)));
      // Stale after 4 missed beats of 200 ms.
      await delay(1200);
      const b = startRunner(s.job("b"));
      await b.ready;
      const summaryB = await succeeded(b);
      expect(summaryB.status).toBe("completed");
      a.child.kill("SIGCONT");
      await succeeded(a);

      expectOneResultPerRow(await s.results(), N);
      const after = readMarks(s.marker);
      const lateA = (after.rowsOf.get("a") ?? []).slice(startedByA.size);
      const ranByB = new Set(after.rowsOf.get("b"));
      // `a` must not start, after waking, a row `b` ran: its blocks were taken over.
      expect(lateA.filter((id) => ranByB.has(id))).toEqual([]);
      // A row runs twice only when its holder stopped before storing its result.
      const twice = rowsRunTwice(after);
      expect(twice.filter((id) => !startedByA.has(id) || storedByA.has(id))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`kill -9 of one of 3 runners at a random moment (seed ${seed}), then a resume: one result per row, reruns only of rows the dead runner left unstored`, {
      timeout: 60_000,
    }, async () => {
      const N = 640;
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

  for (const n of [1, 64, 65]) {
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

  it("rows appended to the dataset while runners are on it: no row runs twice, a resume finishes the rest", { timeout: 60_000 }, async () => {
    const s = await setup("append", 200);
    try {
      const a = startRunner(s.job("a", { delayMs: 10 }));
      await a.ready;
      s.go();
      while ((readMarks(s.marker).rowsOf.get("a")?.length ?? 0) < 20) await delay(5);
      // Mid-run: a block that grows at the end (200 = 3 * 64 + 8) and new blocks.
      await s.append(200, 100);
      const b = startRunner(s.job("b", { delayMs: 10 }));
      await b.ready;
      await Promise.all([succeeded(a), succeeded(b)]);
      const c = startRunner(s.job("c"));
      await c.ready;
      await succeeded(c);
      expectOneResultPerRow(await s.results(), 300);
      expect(rowsRunTwice(readMarks(s.marker))).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
