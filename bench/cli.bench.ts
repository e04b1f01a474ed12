// Benchmark of the CLI and config layer:
// - copyProject (what `themis copy` runs) local/csv -> local/csv beside the loop a user would
//   hand-write with the Project API (stream rows, appendMany in batches; no idempotence);
// - a rerun of copyProject, where every row is already there (the idempotent path);
// - `themis copy` end to end as a subprocess;
// - CLI start-up (`themis --version`) beside `node -e 0`, and loadConfig() with registry discovery.
//
//   node bench/cli.bench.ts                 BENCH_SCALE=small (default): 5k rows
//   BENCH_SCALE=full node bench/cli.bench.ts                             100k rows
//
// Figures are printed, never asserted on.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project, clearConfigCache, loadConfig, parseBackendConfig, type StorageBackend } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { copyProject } from "@themis/cli";
import { shortRow } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const ROWS = full ? 100_000 : 5_000;
const BATCH = 500;
const here = path.dirname(fileURLToPath(import.meta.url));
const bin = createRequire(import.meta.url)
  .resolve("@themis/cli/package.json")
  .replace(/package\.json$/, "dist/bin.js");

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (rows: number, ms: number): string => `${Math.round(rows / (ms / 1000)).toLocaleString("en")} rows/s`;
const csv = (rootDir: string): Promise<StorageBackend> => Promise.resolve(localCsvBackend.create(parseBackendConfig(localCsvBackend, { rootDir })));

const root = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-cli-bench-")));
try {
  // A user's project: package.json with local/csv installed, a themis config, a seeded dataset.
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "bench-app", dependencies: { "@themis/backend-local-csv": "*" } }));
  mkdirSync(path.join(root, "node_modules", "@themis"), { recursive: true });
  const localCsvDir = path.dirname(createRequire(import.meta.url).resolve("@themis/backend-local-csv/package.json"));
  symlinkSync(localCsvDir, path.join(root, "node_modules", "@themis", "backend-local-csv"), "dir");
  writeFileSync(path.join(root, "themis.config.yaml"), "project: bench\nstorage:\n  type: local/csv\n  rootDir: ./data\n");
  writeFileSync(path.join(root, "target.yaml"), "type: local/csv\nrootDir: ./cli-copy\n");

  const source = await csv(path.join(root, "data"));
  const seed = await Project.create("bench", source);
  const dataset = await seed.createDataset("qa");
  for (let i = 0; i < ROWS; i += 5_000) await dataset.appendMany(Array.from({ length: Math.min(5_000, ROWS - i) }, (_, j) => shortRow(i + j)));
  await seed.close();

  // Baseline: the loop a user writes without the CLI. Each side runs twice on fresh targets
  // (the best counts), so neither pays alone for JIT warm-up or a cold page cache.
  const handWritten = async (dir: string): Promise<void> => {
    const to = await Project.create("bench", await csv(path.join(root, dir)));
    const from = await Project.open("bench", source);
    const out = await to.createDataset("qa");
    let batch = [];
    for await (const r of await from.getDataset("qa")) {
      batch.push(r);
      if (batch.length === BATCH) {
        await out.appendMany(batch);
        batch = [];
      }
    }
    if (batch.length) await out.appendMany(batch);
    await to.close();
    await to.storage.close();
  };
  const targets: StorageBackend[] = [];
  const viaCopy = async (dir: string) => {
    const target = await csv(path.join(root, dir));
    targets.push(target);
    return time(() => copyProject("bench", source, target, { batchSize: BATCH }));
  };
  const baselineRuns = [(await time(() => handWritten("baseline-1"))).ms];
  const copyRuns = [(await viaCopy("copy-1")).ms];
  baselineRuns.push((await time(() => handWritten("baseline-2"))).ms);
  copyRuns.push((await viaCopy("copy-2")).ms);
  const baseline = { ms: Math.min(...baselineRuns) };
  const copied = { ms: Math.min(...copyRuns) };
  // The first read of a freshly written local/csv table costs more than later ones: show both.
  const rerun = await time(() => copyProject("bench", source, targets[1]!, { batchSize: BATCH }));
  const rerunWarm = await time(() => copyProject("bench", source, targets[1]!, { batchSize: BATCH }));
  const cli = await time(async () => execFileSync(process.execPath, [bin, "copy", "bench", "--to", "target.yaml", "--json"], { cwd: root }));

  const startups: number[] = [];
  const nodes: number[] = [];
  for (let i = 0; i < 5; i++) {
    startups.push((await time(async () => execFileSync(process.execPath, [bin, "--version"], { cwd: root }))).ms);
    nodes.push((await time(async () => execFileSync(process.execPath, ["-e", "0"]))).ms);
  }
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) {
    clearConfigCache();
    loads.push((await time(() => loadConfig({ cwd: root }))).ms);
  }
  await Promise.all([source.close(), ...targets.map((t) => t.close())]);

  console.log(`cli bench (${full ? "full" : "small"}: ${ROWS.toLocaleString("en")} rows, local/csv -> local/csv, batches of ${BATCH})`);
  console.log(`  hand-written Project loop   ${baseline.ms.toFixed(0).padStart(7)} ms  ${rate(ROWS, baseline.ms)}`);
  console.log(
    `  copyProject (fresh target)  ${copied.ms.toFixed(0).padStart(7)} ms  ${rate(ROWS, copied.ms)}  ratio ${(baseline.ms / copied.ms).toFixed(2)}x of baseline speed`,
  );
  console.log(`  copyProject (rerun, no-op)  ${rerun.ms.toFixed(0).padStart(7)} ms  ${rate(ROWS, rerun.ms)}  ratio ${(baseline.ms / rerun.ms).toFixed(2)}x`);
  console.log(
    `  copyProject (2nd rerun)     ${rerunWarm.ms.toFixed(0).padStart(7)} ms  ${rate(ROWS, rerunWarm.ms)}  ratio ${(baseline.ms / rerunWarm.ms).toFixed(2)}x`,
  );
  console.log(`  themis copy (subprocess)    ${cli.ms.toFixed(0).padStart(7)} ms  ${rate(ROWS, cli.ms)}  ratio ${(baseline.ms / cli.ms).toFixed(2)}x`);
  console.log(
    `  themis --version            ${median(startups).toFixed(0).padStart(7)} ms  (node -e 0: ${median(nodes).toFixed(0)} ms, +${(median(startups) - median(nodes)).toFixed(0)} ms)`,
  );
  console.log(`  loadConfig() + discovery    ${median(loads).toFixed(1).padStart(7)} ms  (median of 5, cache cleared)`);
  void here;
} finally {
  rmSync(root, { recursive: true, force: true });
}
