import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

const dir = fileURLToPath(new URL("..", import.meta.url));
const bin = path.resolve(dir, "../../packages/cli/dist/bin.js");
const exec = promisify(execFile);
let data: string;

beforeAll(async () => {
  data = await mkdtemp(path.join(tmpdir(), "themis-example-pipeline-"));
  await exec(process.execPath, ["seed.ts"], { cwd: dir, env: { ...process.env, THEMIS_PIPELINE_DATA: data } });
});
afterAll(() => rm(data, { recursive: true, force: true }));

const themis = async (...args: string[]) => (await exec(process.execPath, [bin, ...args, "-O", `rootDir=${data}`], { cwd: dir })).stdout;

it("runs the README's pipeline; a second run reuses every row; plan --explain says why", async () => {
  const first = JSON.parse(await themis("pipeline", "run", "pipeline.ts", "--json"));
  expect(first.status).toBe("completed");
  for (const stage of ["clean", "score", "label"]) expect(first.stages[stage].counts).toMatchObject({ computed: 8, cached: 0, failed: 0 });

  const second = JSON.parse(await themis("pipeline", "run", "pipeline.ts", "--json"));
  for (const stage of ["clean", "score", "label"]) expect(second.stages[stage].counts).toMatchObject({ computed: 0, cached: 8 });

  const plan = await themis("pipeline", "plan", "pipeline.ts", "--explain");
  expect(plan).toContain("label: everything cached");

  const labels = JSON.parse(await themis("experiments", "show", "reviews-label", "--json"));
  const rows = Array.isArray(labels) ? labels : labels.rows;
  expect(rows.map((r: { output: { correct: boolean } }) => r.output.correct)).toEqual(Array(8).fill(true));
});
