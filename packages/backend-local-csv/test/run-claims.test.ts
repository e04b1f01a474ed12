// runExperiment's block claims against real processes on local/csv: a runner killed with
// SIGKILL in the middle of its blocks, then two runners resuming at once.
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { removeDir, tempDir } from "./helpers.js";

const RUNNER = fileURLToPath(new URL("./fixtures/runner.ts", import.meta.url));
const rootDir = tempDir();
afterAll(() => removeDir(rootDir));
const marker = path.join(rootDir, "started.txt");
// Enough blocks (64 rows) that the second resumer finds some left: a runner claims up to 8 ahead.
const N = 2000;

function startRunner(tag: string) {
  const child = spawn(process.execPath, [RUNNER, rootDir, marker, tag], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const ready = new Promise<void>((resolve) => child.stdout.on("data", () => out.startsWith("ready\n") && resolve()));
  const exited = new Promise<{ out: string; err: string; code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ out, err, code, signal })),
  );
  return { child, ready, exited };
}

/** Row ids each runner started, by tag. */
function started(): Map<string, string[]> {
  const byTag = new Map<string, string[]>();
  for (const line of readFileSync(marker, "utf8").split("\n")) {
    if (line === "") continue;
    const [tag, id] = line.split(" ");
    byTag.set(tag!, [...(byTag.get(tag!) ?? []), id!]);
  }
  return byTag;
}

describe("runExperiment processes on one local/csv experiment (block claims)", () => {
  it("kill -9 in the middle of a run, then two runners resume at once: each row without a stored result runs once", { timeout: 120_000 }, async () => {
    const project = await Project.create("claims", localCsvBackend, { rootDir });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: N }, (_, n) => ({ n })));
    await project.createExperiment("shared");
    writeFileSync(marker, "");

    const victim = startRunner("victim");
    await victim.ready;
    writeFileSync(`${marker}.go`, "");
    while ((started().get("victim")?.length ?? 0) < 250) await delay(20);
    victim.child.kill("SIGKILL");
    expect((await victim.exited).signal).toBe("SIGKILL");
    const storedByVictim = new Set((await (await project.getExperiment("shared")).load()).map((r) => String(r.dataset_row_id)));
    const ranByVictim = new Set(started().get("victim"));
    expect(storedByVictim.size).toBeGreaterThan(0);
    expect(storedByVictim.size).toBeLessThan(N);
    // Stale after 4 missed beats of 200 ms.
    await delay(1200);
    rmSync(`${marker}.go`);

    const resumers = [startRunner("a"), startRunner("b")];
    await Promise.all(resumers.map((r) => r.ready));
    writeFileSync(`${marker}.go`, "");
    const ends = await Promise.all(resumers.map((r) => r.exited));
    for (const end of ends) expect(end.code, end.err).toBe(0);
    const summaries = ends.map((end) => JSON.parse(end.out.split("\n")[1]!) as { succeeded: number; skipped: number });

    const rows = await (await project.getExperiment("shared")).load();
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(N);
    expect(rows.every((r) => r.status === "ok" && r.output === (r.input as { n: number }).n * 2)).toBe(true);
    const byTag = started();
    const resumed = [...(byTag.get("a") ?? []), ...(byTag.get("b") ?? [])];
    // Each row the victim left without a result ran once, in one of the two; no stored row ran again.
    expect(new Set(resumed).size).toBe(resumed.length);
    expect(resumed.filter((id) => storedByVictim.has(id))).toEqual([]);
    expect(resumed.length + storedByVictim.size).toBe(N);
    expect(summaries.reduce((n, s) => n + s.succeeded, 0)).toBe(resumed.length);
    // Both took part (they started claiming together).
    expect(summaries.every((s) => s.succeeded > 0)).toBe(true);
    // The victim's rows that were running when it died are among those run again.
    expect([...ranByVictim].filter((id) => !storedByVictim.has(id)).every((id) => resumed.includes(id))).toBe(true);
    await project.close();
  });
});
