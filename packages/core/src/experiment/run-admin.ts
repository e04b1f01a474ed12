import { ConflictError, hasErrorCode } from "../errors.js";
import type { ProjectView } from "./project-view.js";
import type { Table } from "../storage/table.js";
import { CANCELS_TABLE } from "./cancel.js";
import { RUNS_TABLE, getRun, runState } from "./run-record.js";

/** The most frequent errors of a run's error rows: code (or name) and message, with counts. */
export async function topErrors(project: ProjectView, runId: string, limit = 5): Promise<{ code: string; message: string; count: number }[]> {
  const run = await getRun(project, runId);
  const counts = new Map<string, { code: string; message: string; count: number }>();
  for await (const row of await project.getExperiment(run.experiment)) {
    if (row.run_id !== runId || row.status === "ok") continue;
    const e = (row.error ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
    const code = String(e.code ?? e.name ?? "error");
    const message = String(e.message ?? "");
    const k = `${code}\u0000${message}`;
    const entry = counts.get(k) ?? { code, message, count: 0 };
    entry.count++;
    counts.set(k, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count).slice(0, limit);
}

async function deleteWhere(project: ProjectView, table: string, internal: boolean, match: (row: Record<string, unknown>) => boolean): Promise<number> {
  let t: Table;
  try {
    t = internal ? await project.internalTable("experiment", table) : await project.getExperiment(table);
  } catch (error) {
    if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) return 0;
    throw error;
  }
  const ids: string[] = [];
  for await (const row of t) if (match(row)) ids.push(row._row_id);
  for (const id of ids) await t.delete(id);
  return ids.length;
}

/**
 * Delete a run: its result rows, its cancel request and its record. Its row claims stay
 * (a claim chain must not lose a generation): they now name a run without a record, which
 * counts as stale, so a resumed run takes those rows over. A run that is still running
 * (heartbeat fresh) is a ConflictError: cancel it first.
 * Returns how many result rows were deleted.
 */
export async function deleteRun(project: ProjectView, runId: string): Promise<{ resultRows: number }> {
  const run = await getRun(project, runId);
  if (runState(run) === "running")
    throw new ConflictError(`run "${runId}" is still running: cancel it first (themis runs cancel ${runId})`, { backend: project.storage.name });
  const resultRows = await deleteWhere(project, run.experiment, false, (r) => r.run_id === runId);
  await deleteWhere(project, CANCELS_TABLE, true, (r) => r.run_id === runId);
  await (await project.internalTable("experiment", RUNS_TABLE)).delete(runId);
  return { resultRows };
}
