import { createHash } from "node:crypto";
import { ROW_ID } from "../rows.js";
import type { RunRecord } from "./run-record.js";

const hex = (text: string, length: number): string => createHash("sha256").update(text).digest("hex").slice(0, length);

/**
 * The `RunContext.runKey` of each row's job in a run (see the execution contract): the same
 * for every runner of one experiment with one resume key, so a queueing executor (bullmq)
 * gives a row's job the same id when a restarted or second runner submits it again, and
 * reattaches to the job instead of running it twice. It changes whenever the work is meant
 * to run again: the experiment's first run (a deleted and re-created experiment starts
 * afresh) and, for a row whose earlier result was an error, that error's run (a resume
 * redoes it rather than reattaching to the failed job).
 *
 * @param runs - the run records of the experiment, this run's included
 * @param failedBefore - dataset row id to the run id of its earlier error result
 */
export function executionRunKey(
  experiment: string,
  taskKey: string,
  runs: readonly Pick<RunRecord, "run_id" | "started_at">[],
  failedBefore: ReadonlyMap<string, string>,
): (row: unknown) => string {
  const first = [...runs].sort((a, b) => a.started_at.localeCompare(b.started_at) || a.run_id.localeCompare(b.run_id))[0];
  const base = `themis-${hex(`${experiment}\n${taskKey}\n${first?.run_id ?? ""}`, 32)}`;
  return (row) => {
    const id = (row as { [ROW_ID]?: unknown } | null)?.[ROW_ID];
    const failedIn = typeof id === "string" ? failedBefore.get(id) : undefined;
    return failedIn === undefined ? base : `${base}.${hex(failedIn, 12)}`;
  };
}
