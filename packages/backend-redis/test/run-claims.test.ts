import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { createBackend, dropPrefix, rawClient, redisAvailable, redisUrl, uniquePrefix } from "./support/env.js";

const worker = fileURLToPath(new URL("./support/run-worker.ts", import.meta.url));

/** Run one runner in a separate Node process; resolves with what it printed. */
function runRunner(args: string[]): Promise<{ succeeded: number; skipped: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`runner exited with ${code}:\n${stderr}`))));
  });
}

describe.skipIf(!redisAvailable)("several runExperiment processes on one experiment (row claims on redis)", () => {
  const prefix = uniquePrefix("claims");
  const raw = rawClient();
  afterAll(async () => {
    await dropPrefix(raw, prefix);
    raw.disconnect();
  });

  it("3 runners with resume, 300 rows: exactly one result per dataset row, each row run once", async () => {
    const backend = await createBackend({ keyPrefix: prefix });
    const project = await Project.create("claims", backend);
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 300 }, (_, n) => ({ n })));
    const marker = path.join(mkdtempSync(path.join(tmpdir(), "themis-claims-")), "started.txt");
    writeFileSync(marker, "");

    const summaries = await Promise.all([0, 1, 2].map(() => runRunner([redisUrl, prefix, "claims", marker])));

    expect(summaries.reduce((n, s) => n + s.succeeded, 0)).toBe(300);
    const rows = await (await project.getExperiment("shared")).load();
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(300);
    expect(rows.every((r) => r.status === "ok" && r.output === (r.input as { n: number }).n * 2)).toBe(true);
    const started = readFileSync(marker, "utf8").trim().split("\n");
    expect(started).toHaveLength(300);
    expect(new Set(started).size).toBe(300);
    await project.close();
    await backend.close();
  }, 180_000);
});
