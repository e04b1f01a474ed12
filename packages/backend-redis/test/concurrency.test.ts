import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { KeyLayout } from "../src/index.js";
import { createBackend, dropPrefix, rawClient, redisAvailable, redisUrl, uniquePrefix } from "./support/env.js";

const worker = fileURLToPath(new URL("./support/append-worker.ts", import.meta.url));

/** Run the worker in a separate Node process (tsx compiles the TypeScript sources). */
function runWorker(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
      stdio: ["ignore", "inherit", "pipe"],
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker ${args[3]} exited with ${code}:\n${stderr}`))));
  });
}

describe.skipIf(!redisAvailable)("several processes writing one table", () => {
  const prefix = uniquePrefix("procs");
  const raw = rawClient();
  afterAll(async () => {
    await dropPrefix(raw, prefix);
    raw.disconnect();
  });

  it("4 processes x 5,000 appends: 20,000 rows, none lost or duplicated, each writer's order kept", async () => {
    const WORKERS = 4;
    const ROWS = 5_000;
    const LANES = 4;
    const backend = await createBackend({ keyPrefix: prefix });
    const project = await Project.create("procs", backend);
    await project.createDataset("shared");

    await Promise.all(Array.from({ length: WORKERS }, (_, w) => runWorker([redisUrl, prefix, "procs", String(w), String(ROWS), String(LANES)])));

    const rows = await (await project.getDataset("shared")).load();
    expect(rows).toHaveLength(WORKERS * ROWS);
    expect(new Set(rows.map((r) => r._row_id)).size).toBe(WORKERS * ROWS);
    const seen = new Set(rows.map((r) => `${r.worker}/${r.i}`));
    expect(seen.size).toBe(WORKERS * ROWS);
    // Appends of one lane were sequential: they must appear in the order they were acknowledged.
    const last = new Map<string, number>();
    for (const r of rows) {
      const lane = `${r.worker}/${r.lane}`;
      expect(Number(r.i)).toBeGreaterThan(last.get(lane) ?? -1);
      last.set(lane, Number(r.i));
    }
    // The raw keys agree: as many rows as order entries, sequence numbers never reused.
    const keys = new KeyLayout(prefix).table("procs", "dataset", "shared");
    expect(await raw.hlen(keys.rows)).toBe(WORKERS * ROWS);
    expect(await raw.zcard(keys.order)).toBe(WORKERS * ROWS);
    expect(await raw.get(keys.seq)).toBe(String(WORKERS * ROWS));
    await project.close();
    await backend.close();
  });
});
