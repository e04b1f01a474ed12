// Benchmark of the "postgres" storage backend beside `pg` used by hand on the same rows:
//
// - appendMany vs COPY … FROM STDIN (pg-copy-streams, CSV) into a table of the same shape
//   (seq bigserial, row_id text PRIMARY KEY, json text), without existence checks, row
//   validation or a project/table layer.
// - load vs SELECT json … ORDER BY seq and JSON.parse of each row.
//
//   node bench/postgres.bench.ts                  BENCH_SCALE=small (default): 10k rows
//   BENCH_SCALE=full node bench/postgres.bench.ts                             100k rows
//
// POSTGRES_URL points at an existing server; otherwise a PostgreSQL is initdb'ed and started
// on a free loopback port (none installed: the bench says so and exits 0). Each figure is
// the best of a few runs. Figures are printed, never asserted on.
import { randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Project, parseBackendConfig, type Row } from "@themis/core";
import { postgresBackend } from "@themis/backend-postgres";
import { PostgresServer, postgresBinDir } from "../packages/backend-postgres/test/support/postgres-server.ts";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const ROWS = full ? 100_000 : 10_000;
const RUNS = full ? 2 : 3;
const SCHEMA = `themis_bench_${process.pid}`;

let server: PostgresServer | undefined;
let url = process.env.POSTGRES_URL;
if (!url) {
  const bin = postgresBinDir();
  if (!bin) {
    console.log("postgres bench skipped: PostgreSQL is not installed (apt-get install postgresql) and POSTGRES_URL is not set");
    process.exit(0);
  }
  server = await PostgresServer.start(bin);
  url = server.url;
}

const raw = new pg.Client({ connectionString: url });
await raw.connect();
const storage = await postgresBackend.create(parseBackendConfig(postgresBackend, { ...postgresBackend.configFromUri!(new URL(url)), schema: SCHEMA }));
const project = await Project.create("bench", storage);
const rawTable = (run: number) => `"${SCHEMA}".raw_${run}`;

async function best(runs: number, setup: (run: number) => Promise<() => Promise<unknown>>): Promise<number> {
  let ms = Infinity;
  for (let run = 0; run < runs; run++) {
    const fn = await setup(run);
    const start = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - start);
  }
  return ms;
}

const csvLine = (r: Row & { _row_id: string }) => `${r._row_id},"${JSON.stringify(r).replaceAll('"', '""')}"\n`;

const results: { operation: string; rows: number; themis: number; pg: number }[] = [];
try {
  const warm = await project.createDataset("warmup");
  await warm.appendMany(shortRows(2_000));
  await warm.load();
  const batch = shortRows(ROWS);

  results.push({
    operation: "appendMany",
    rows: ROWS,
    themis: await best(RUNS, async (run) => {
      const table = await project.createDataset(`batch-${run}`);
      return () => table.appendMany(batch);
    }),
    pg: await best(RUNS, async (run) => {
      await raw.query(`CREATE TABLE ${rawTable(run)} (seq bigserial, row_id text PRIMARY KEY, json text NOT NULL)`);
      return async () => {
        const lines = batch.map((r) => csvLine({ _row_id: randomUUID(), ...r }));
        await pipeline(Readable.from(lines), raw.query(copyFrom(`COPY ${rawTable(run)} (row_id, json) FROM STDIN (FORMAT csv)`)));
      };
    }),
  });

  results.push({
    operation: "load",
    rows: ROWS,
    themis: await best(RUNS, async (run) => {
      const table = await project.getDataset(`batch-${run}`);
      return async () => {
        if ((await table.load()).length !== ROWS) throw new Error("bench: wrong row count");
      };
    }),
    pg: await best(RUNS, async (run) => async () => {
      const found = await raw.query<{ json: string }>(`SELECT json FROM ${rawTable(run)} ORDER BY seq`);
      if (found.rows.map((r) => JSON.parse(r.json) as unknown).length !== ROWS) throw new Error("bench: wrong row count");
    }),
  });

  const perSecond = (rows: number, ms: number) => Math.round((rows / ms) * 1000).toLocaleString("en");
  console.log(
    `postgres storage vs pg by hand (BENCH_SCALE=${full ? "full" : "small"}, best of ${RUNS}, ${server ? "PostgreSQL started by the bench" : "POSTGRES_URL"})`,
  );
  console.table(
    results.map((r) => ({
      operation: r.operation,
      rows: r.rows,
      "themis rows/s": perSecond(r.rows, r.themis),
      "pg rows/s": perSecond(r.rows, r.pg),
      "vs pg": Number((r.pg / r.themis).toFixed(2)),
    })),
  );
  console.log("vs pg: themis throughput relative to pg by hand (1 = as fast). The issue's target: >= 0.7.");
} finally {
  await project.close();
  await raw.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
  await raw.end();
  await server?.stop();
}
