import { type CompareOptions, type JsonValue, type Project, type RunComparison, type StoredRow, compareRuns, getRun, runResults } from "@themis/core";
import { z } from "zod";
import { HttpError } from "./http-error.js";
import { MAX_PAGE } from "./row-query.js";

/** One dataset row of two runs: each run's result row (null when that run has none). */
export interface ComparedRow {
  dataset_row_id: string;
  /** The two results differ in status, output or scores (or only one run has the row). */
  changed: boolean;
  a: StoredRow | null;
  b: StoredRow | null;
}

/** What the compare route answers: core's `compareRuns` figures and one page of joined rows. */
export interface ComparePage {
  comparison: RunComparison;
  /** Joined rows matching the query (all, or only the changed ones). */
  total: number;
  /** Joined rows whose results differ. */
  changed: number;
  offset: number;
  rows: ComparedRow[];
}

const querySchema = z.object({
  a: z.string().min(1).max(200),
  b: z.string().min(1).max(200),
  changed: z.enum(["true", "false", "1", "0"]).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
});

/** The compare route's query (`a`, `b` run ids; `changed`, `offset`, `limit`); 400 with the field and reason when invalid. */
export function parseCompareQuery(params: Record<string, string>): { a: string; b: string; changedOnly: boolean; offset: number; limit: number } {
  const parsed = querySchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, "ERR_SERVE_BAD_QUERY", `${issue.path.join(".") || "query"}: ${issue.message}`);
  }
  const { changed, ...rest } = parsed.data;
  return { ...rest, changedOnly: changed === "true" || changed === "1" };
}

// What a result says, without its bookkeeping (row id, run id, timings): two runs agree on a row when this is equal.
const verdict = (row: StoredRow | undefined): JsonValue => (row ? [row.status ?? null, row.output ?? null, row.scores ?? null] : null);

/** Two runs compared in full: core's figures and every joined row (sorted by dataset row id). */
export interface JoinedRuns {
  comparison: RunComparison;
  rows: ComparedRow[];
}

/** Core's `compareRuns(A, B)` and both runs' results joined on dataset row id (both runs' results are read into memory). */
export async function joinRuns(project: Project, a: string, b: string, options: CompareOptions = {}): Promise<JoinedRuns> {
  const [comparison, runA, runB] = await Promise.all([compareRuns(project, a, b, options), getRun(project, a), getRun(project, b)]);
  const [rowsA, rowsB] = await Promise.all([runResults(project, runA), runResults(project, runB)]);
  const ids = [...new Set([...rowsA.keys(), ...rowsB.keys()])].sort();
  const rows = ids.map((id): ComparedRow => {
    const ra = rowsA.get(id);
    const rb = rowsB.get(id);
    return { dataset_row_id: id, changed: JSON.stringify(verdict(ra)) !== JSON.stringify(verdict(rb)), a: ra ?? null, b: rb ?? null };
  });
  return { comparison, rows };
}

/**
 * Compare two runs as `themis runs compare` does (core's `compareRuns`: per-metric deltas
 * and a paired test), plus their results joined on dataset row id, paged, optionally only
 * the rows whose results differ.
 */
export async function compareView(project: Project, query: ReturnType<typeof parseCompareQuery>, options: CompareOptions = {}): Promise<ComparePage> {
  const { comparison, rows: joined } = await joinRuns(project, query.a, query.b, options);
  const changed = joined.filter((r) => r.changed);
  const shown = query.changedOnly ? changed : joined;
  return { comparison, total: shown.length, changed: changed.length, offset: query.offset, rows: shown.slice(query.offset, query.offset + query.limit) };
}
