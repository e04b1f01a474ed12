import { isDeepStrictEqual } from "node:util";
import { ROW_ID, type StorageBackend, type StoredRow, type TableKind, type TableStore, hasErrorCode, validateName } from "@themis/core";

/** Progress of {@link copyProject}, reported after every batch. */
export interface CopyProgress {
  kind: TableKind;
  table: string;
  /** Rows of this table read so far. */
  rows: number;
  /** Tables finished so far, and how many there are. */
  tablesDone: number;
  tablesTotal: number;
}

/** What happened to one table. */
export interface CopiedTable {
  kind: TableKind;
  name: string;
  /** Rows in the source table. */
  rows: number;
  /** Rows appended to the target (missing there). */
  appended: number;
  /** Rows present in the target with other values, overwritten. */
  updated: number;
  /** Rows already equal in the target. */
  unchanged: number;
}

/** Options of {@link copyProject}. */
export interface CopyOptions {
  /** Rows appended per write. Default 500. */
  batchSize?: number;
  onProgress?: (progress: CopyProgress) => void;
  /** Stop between batches; what was written stays (a rerun continues). */
  signal?: AbortSignal;
}

/**
 * Whether a stored row (as its JSON text) holds the same values as `row`. The common case,
 * same text, is one native stringify; rows read back from another backend may list keys in
 * another order, so a mismatch is confirmed by a key-order-insensitive comparison.
 */
function sameRow(storedJson: string, row: StoredRow): boolean {
  const json = JSON.stringify(row);
  return json === storedJson || isDeepStrictEqual(JSON.parse(storedJson), JSON.parse(json));
}

async function openOrCreate(project: Awaited<ReturnType<StorageBackend["openProject"]>>, kind: TableKind, name: string): Promise<TableStore> {
  try {
    return await project.openTable(kind, name);
  } catch (error) {
    if (!hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) throw error;
    return project.createTable(kind, name);
  }
}

/**
 * Copy every dataset and experiment of a project (run records included) from one storage
 * backend to another, streaming rows in batches. Row ids are kept, so a rerun is
 * idempotent: rows already in the target are left alone (or overwritten when their values
 * differ), missing ones appended. Rows only in the target are kept: this copies, it does
 * not mirror.
 */
export async function copyProject(project: string, from: StorageBackend, to: StorageBackend, options: CopyOptions = {}): Promise<CopiedTable[]> {
  validateName("project", project);
  const batchSize = options.batchSize ?? 500;
  const source = await from.openProject(project, "open");
  const target = await to.openProject(project, "openOrCreate");
  const tables: { kind: TableKind; name: string }[] = [];
  for (const kind of ["dataset", "experiment"] as const) for (const name of await source.listTables(kind)) tables.push({ kind, name });
  const results: CopiedTable[] = [];
  for (const [index, { kind, name }] of tables.entries()) {
    options.signal?.throwIfAborted();
    const input = await source.openTable(kind, name);
    const output = await openOrCreate(target, kind, name);
    const existing = new Map<string, string>();
    for await (const row of output.entries()) existing.set(row[ROW_ID], JSON.stringify(row));
    const result: CopiedTable = { kind, name, rows: 0, appended: 0, updated: 0, unchanged: 0 };
    let batch: StoredRow[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await output.append(batch);
      result.appended += batch.length;
      batch = [];
      options.onProgress?.({ kind, table: name, rows: result.rows, tablesDone: index, tablesTotal: tables.length });
      options.signal?.throwIfAborted();
    };
    for await (const row of input.entries()) {
      result.rows++;
      const id = row[ROW_ID];
      const there = existing.get(id);
      if (there === undefined) {
        batch.push(row);
        existing.set(id, ""); // a source with a duplicate id must not append it twice
        if (batch.length >= batchSize) await flush();
      } else if (there === "") {
        // A second row with an id already copied in this run: the source holds a duplicate; keep the first.
      } else if (sameRow(there, row)) {
        result.unchanged++;
      } else {
        await output.update(row);
        result.updated++;
      }
    }
    await flush();
    results.push(result);
  }
  options.onProgress?.({
    kind: tables.at(-1)?.kind ?? "dataset",
    table: tables.at(-1)?.name ?? "",
    rows: 0,
    tablesDone: tables.length,
    tablesTotal: tables.length,
  });
  return results;
}
