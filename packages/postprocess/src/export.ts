import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { finished } from "node:stream/promises";
import { AlreadyExistsError, type PostprocessInput, type StoredRow, ThemisError, definePostprocessor } from "@themis/core";
import Papa from "papaparse";
import { z } from "zod";
import { columnsOf, flatCell } from "./columns.js";
import { writeParquet } from "./parquet.js";
import { report, throwIfAborted } from "./report.js";

/** Config of the "export" postprocessor. */
export const exportConfigSchema = z.strictObject({
  /** File to write (relative to the working directory). */
  path: z.string().min(1),
  /** Default: from the file's extension (.csv, .jsonl / .ndjson, .parquet). */
  format: z.enum(["csv", "jsonl", "parquet"]).optional(),
  /** Columns to write, in order. Default: every field of every row, in first-seen order. */
  columns: z.array(z.string().min(1)).optional(),
  /** Replace an existing file. Default false: an existing file is an ALREADY_EXISTS error. */
  overwrite: z.boolean().default(false),
  /** CSV only: prefix cells starting with = + - @ with ' so spreadsheets do not run them as formulas. Default true. */
  escapeFormulae: z.boolean().default(true),
});
export type ExportConfig = z.infer<typeof exportConfigSchema>;

const EXTENSIONS: Record<string, "csv" | "jsonl" | "parquet"> = { ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet" };

function formatOf(config: ExportConfig): "csv" | "jsonl" | "parquet" {
  const format = config.format ?? EXTENSIONS[path.extname(config.path).toLowerCase()];
  if (!format)
    throw new ThemisError(
      "ERR_THEMIS_INVALID_CONFIG",
      `export: cannot tell the format of "${config.path}": set format ("csv", "jsonl" or "parquet") or use one of ${Object.keys(EXTENSIONS).join(", ")}`,
      { backend: "export" },
    );
  return format;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** JSONL streams row by row; CSV and Parquet need every column first, so they hold the rows. */
async function writeTemp(format: "csv" | "jsonl" | "parquet", temp: string, config: ExportConfig, input: PostprocessInput): Promise<number> {
  if (format === "jsonl") {
    const out = createWriteStream(temp);
    let rows = 0;
    try {
      for await (const row of input.rows) {
        throwIfAborted(input.signal, "export");
        const picked = config.columns ? Object.fromEntries(config.columns.map((c) => [c, row[c] ?? null])) : row;
        if (!out.write(`${JSON.stringify(picked)}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        rows++;
      }
    } finally {
      out.end();
      await finished(out);
    }
    return rows;
  }
  const rows: StoredRow[] = [];
  for await (const row of input.rows) {
    throwIfAborted(input.signal, "export");
    rows.push(row);
  }
  const columns = columnsOf(rows, config.columns);
  if (format === "parquet") writeParquet(temp, columns, rows);
  else {
    const data = rows.map((row) => columns.map((c) => flatCell(row[c])));
    await writeFile(temp, `${Papa.unparse({ fields: columns, data }, { escapeFormulae: config.escapeFormulae, newline: "\n" })}\n`);
  }
  return rows.length;
}

/**
 * Write the rows to a temporary file beside the target and rename it into place, so an
 * error or a cancel never leaves a half-written export (or replaces a good one).
 */
async function exportRows(config: ExportConfig, input: PostprocessInput) {
  const format = formatOf(config);
  const target = path.resolve(config.path);
  if (!config.overwrite && (await exists(target))) {
    throw new AlreadyExistsError(`export: ${config.path} exists; set overwrite: true to replace it`, { backend: "export" });
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
  try {
    const rows = await writeTemp(format, temp, config, input);
    await rename(temp, target);
    return report("export", { message: `wrote ${rows} rows to ${config.path} (${format})`, rows, artifacts: [target], data: { format, path: target, rows } });
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * "export": an experiment's results to a CSV, JSONL or Parquet file. Nested values become
 * JSON text in CSV, and Parquet columns of type JSON; numbers, booleans and strings keep
 * their types. The file appears complete or not at all.
 */
export const exportPostprocessor = definePostprocessor({
  name: "export",
  description: "results to a CSV, JSONL or Parquet file",
  configSchema: exportConfigSchema,
  create: (config: ExportConfig) => ({ name: "export", run: (input: PostprocessInput) => exportRows(config, input) }),
});

export default exportPostprocessor;
