import { hasErrorCode } from "../errors.js";
import type { ProjectView } from "./project-view.js";
import type { Table } from "../storage/table.js";
import { getRun } from "./run-record.js";

/**
 * Internal table of cancel requests, one row per run (its `_row_id` is the run id). A
 * request is its own row, not a field of the run record, because the runner's heartbeat
 * rewrites the run record and would erase it.
 */
export const CANCELS_TABLE = "__run_cancels";

/** A cancel request as stored. */
export interface CancelRequest {
  run_id: string;
  reason: string;
  requested_at: string;
}

/**
 * Ask a run to stop, from any process that reaches the project's storage. The runner sees
 * the request at its next heartbeat and ends with status "cancelled" and this reason;
 * finished rows are kept. Asking twice is harmless. NotFoundError for an unknown run.
 */
export async function requestCancel(project: ProjectView, runId: string, reason = "cancel requested"): Promise<void> {
  await getRun(project, runId);
  const table = await project.internalTable("experiment", CANCELS_TABLE);
  const request: CancelRequest = { run_id: runId, reason, requested_at: new Date().toISOString() };
  try {
    await table.append({ _row_id: runId, ...request });
  } catch (error) {
    if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
  }
}

/** The cancel request of a run, if there is one. */
export async function cancelRequestOf(table: Table, runId: string): Promise<CancelRequest | undefined> {
  try {
    return (await table.get(runId)) as unknown as CancelRequest;
  } catch (error) {
    if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) return undefined;
    throw error;
  }
}
