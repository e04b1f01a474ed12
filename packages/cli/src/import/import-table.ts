import { stat } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, type Dataset, InvalidRowError, type Project, type Row } from "@themis/core";
import { type ImportFormat, type InputRecord, readRecords } from "./read-rows.js";
import type { ColumnTypes } from "./column-types.js";

/** What {@link importFile} needs. */
export interface ImportOptions {
  project: Project;
  dataset: string;
  file: string;
  format: ImportFormat;
  types: ColumnTypes;
  /** Skip bad records (counted, line numbers reported) instead of importing nothing. */
  skipBad: boolean;
  /** Add to an existing dataset; without it the dataset must not exist. */
  append: boolean;
  batchSize: number;
  /** Bytes read of the file, per pass ("check", then "import"). */
  onProgress?: (phase: "check" | "import", bytes: number, total: number) => void;
}

/** What an import did. */
export interface ImportResult {
  rows: number;
  /** Lines of the bad records skipped (with --skip-bad), in order. */
  skippedLines: number[];
  created: boolean;
}

// The first pass: parse and check everything, remember bad lines (and duplicate ids) so
// the second pass writes only good rows, and nothing when a bad one is not to be skipped.
async function check(options: ImportOptions, total: number): Promise<Set<number>> {
  const bad = new Set<number>();
  const ids = new Set<string>();
  const source = path.basename(options.file);
  for await (const record of readRecords({ ...options, onBytes: (b) => options.onProgress?.("check", b, total) })) {
    const problem = record.error ?? duplicateId(record, ids);
    if (problem === undefined) continue;
    if (!options.skipBad) {
      throw new InvalidRowError(`${source}:${record.line}: ${problem}; nothing was imported (fix the line, or pass --skip-bad to import the other rows)`, [
        { path: `line ${record.line}`, message: problem },
      ]);
    }
    bad.add(record.line);
  }
  return bad;
}

function duplicateId(record: InputRecord, ids: Set<string>): string | undefined {
  const id = record.row?._row_id;
  if (typeof id !== "string") return undefined;
  if (ids.has(id)) return `_row_id "${id}" appears twice in the file`;
  ids.add(id);
  return undefined;
}

/**
 * Import a CSV or JSON Lines file into a dataset, all or nothing: a first pass checks every
 * record (nothing is written when one is bad, unless `skipBad`), a second appends in
 * batches; when a write fails (an id already in the dataset, the backend going away) the
 * rows appended so far are removed again (the dataset itself when the import created it).
 */
export async function importFile(options: ImportOptions): Promise<ImportResult> {
  const existing = (await options.project.listDatasets()).includes(options.dataset);
  if (existing && !options.append) {
    throw new AlreadyExistsError(`dataset "${options.dataset}" exists in project "${options.project.name}": pass --append to add the rows to it`);
  }
  const total = (await stat(options.file)).size;
  const bad = await check(options, total);
  const dataset: Dataset = existing ? await options.project.getDataset(options.dataset) : await options.project.createDataset(options.dataset);
  const appended: string[] = [];
  let batch: Row[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const ids = await dataset.appendMany(batch);
    if (existing) appended.push(...ids);
    batch = [];
  };
  let rows = 0;
  try {
    for await (const record of readRecords({ ...options, onBytes: (b) => options.onProgress?.("import", b, total) })) {
      if (bad.has(record.line) || !record.row) continue;
      batch.push(record.row);
      rows++;
      if (batch.length >= options.batchSize) await flush();
    }
    await flush();
  } catch (error) {
    await rollback(options.project, options.dataset, dataset, existing ? appended : undefined);
    throw error;
  }
  return { rows, skippedLines: [...bad].sort((a, b) => a - b), created: !existing };
}

async function rollback(project: Project, name: string, dataset: Dataset, appended: string[] | undefined): Promise<void> {
  if (appended === undefined) {
    await project.deleteDataset(name).catch(() => undefined);
    return;
  }
  for (const id of appended) await dataset.delete(id).catch(() => undefined);
}
