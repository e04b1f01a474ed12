import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

const demoDir = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "themis-demo-"));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const demo = async (): Promise<string> =>
  (await run(process.execPath, ["index.ts"], { cwd: demoDir, env: { ...process.env, THEMIS_DEMO_DIR: dataDir } })).stdout;

it("runs the README's main job on local/csv; the second run resumes and does no work", async () => {
  const first = await demo();
  expect(first).toMatch(/this run: 10 done, 0 failed, 0 skipped/);
  expect(first).toMatch(/results: 10 rows, 10\/10 correct/);
  expect(first).toContain("9 - 10 = -1");
  const second = await demo();
  expect(second).toMatch(/this run: 0 done, 0 failed, 10 skipped/);
  expect(second).toMatch(/results: 10 rows/);
  expect((await readdir(path.join(dataDir, "demo", "experiments"))).sort()).toEqual([
    // The run's row claims, the cancel requests `themis runs cancel` leaves, the run records.
    "__claims.arithmetic-baseline.csv",
    "__run_cancels.csv",
    "__runs.csv",
    "arithmetic-baseline.csv",
  ]);
}, 60_000);
