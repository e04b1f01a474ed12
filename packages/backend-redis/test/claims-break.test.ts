// Trying to break runExperiment's block claims with real runner processes on a real Redis:
// a holder frozen (SIGSTOP) past its heartbeat and woken after its blocks were taken over,
// runners killed with SIGKILL at random moments, and datasets smaller than one block.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { type Runner, readMarks, rowsRunTwice, startRunner } from "./support/claims-processes.js";
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
    url: redisUrl,
    keyPrefix,
    marker,
    tag,
    heartbeatMs: 200,
    delayMs: 5,
    concurrency: 4,
    ...extra,
  });
  const results = async () => (await project.getExperiment("shared")).load();
  const close = async () => {
    await project.close();
    await backend.close();
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
});
