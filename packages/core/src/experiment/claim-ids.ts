// The ids of result rows and claim rows: derived, so that every runner of a run computes the
// same id for the same thing and the storage's "one row per id" rule settles who wins.
import { hash } from "node:crypto";

/**
 * Dataset rows per claim block: rows at positions `[k * BLOCK_ROWS, (k + 1) * BLOCK_ROWS)` of
 * the dataset (in `entries()` order, counting rows done earlier) form block `k`, claimed by
 * one claim row. Part of the claims' format: every runner of a run must use the same value
 * (it is written in each claim row, and a resume refuses claims made with another).
 */
export const BLOCK_ROWS = 64;

/**
 * The internal table of an experiment's claims. One table per experiment, so deleting the
 * experiment drops its claims with it.
 */
export function claimsTable(experiment: string): string {
  return `__claims.${experiment}`;
}

// Parts are joined with NUL. `hash` is the one-shot form of createHash: the same digest at a fraction of the cost for short inputs.
const sha = (text: string): string => hash("sha256", text, "hex").slice(0, 40);

/** The id of a row's result in an experiment: one per (dataset row, resume key), so a second result cannot be appended. */
export function resultRowId(datasetRowId: string, key: string): string {
  return `r-${sha(`${datasetRowId}\u0000${key}`)}`;
}

/** The start of the claim ids of a block of rows (experiment, resume key, block index): the generation follows. */
export function blockClaimIdPrefix(experiment: string, key: string, block: number): string {
  return `b-${sha(`${experiment}\u0000${key}\u0000${block}`)}-`;
}

/**
 * The start of the claim ids of one dataset row, as written by @themis/core before block
 * claims (one claim row per dataset row): read, never written, so that a run started by
 * that code can be resumed.
 */
export function rowClaimIdPrefix(experiment: string, datasetRowId: string, key: string): string {
  return `c-${sha(`${experiment}\u0000${datasetRowId}\u0000${key}`)}-`;
}

/**
 * The id of the row a runner appends once every row it ran from a block it holds has its
 * result stored: another runner waiting for that block may then take it over without
 * waiting for the whole run to end (two runners at the end of a dataset would otherwise
 * wait for each other).
 */
export function blockReleaseId(claimIdPrefix: string, generation: number): string {
  return `${claimIdPrefix}${generation}-released`;
}
