import type { ThemisError } from "@themis/core";
import { type RowChange, planChanges } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";
import type { TableState } from "./fold.js";
import { type Op, rowLine } from "./segment-format.js";

/** What one segment attempt writes, and the queued changes it answers with an error instead. */
export interface Plan {
  readonly ops: readonly Op[];
  readonly rejected: ReadonlyMap<RowChange, ThemisError>;
}

/**
 * Decide which queued changes apply to the rows as folded up to the segment before ours
 * (`planChanges` of `@themis/core/backend`), and the ops of the segment that writes them.
 *
 * Above the state's line cache only id fingerprints are known: an appended id whose
 * fingerprint is stored ("maybe", in practice a true duplicate) is looked up exactly with
 * `confirm` (one streamed read of the table for the whole batch); an update or delete
 * trusts the fingerprint (wrong with probability rows / 2^48, ~4e-8 at 10M rows: the op is then a no-op).
 */
export async function planSegment(
  batch: readonly RowChange[],
  state: TableState,
  label: string,
  confirm: (ids: readonly string[]) => Promise<ReadonlySet<string>>,
): Promise<Plan> {
  const { accepted, rejected } = await planChanges(batch, state, { backend: BACKEND_NAME, label, confirm });
  return { ops: accepted.flatMap(toOps), rejected };
}

/** The ops a change writes. */
function toOps(change: RowChange): Op[] {
  switch (change.kind) {
    case "append":
      return change.rows.map((row) => ({ type: "append", id: row._row_id, line: rowLine(row) }));
    case "update":
      return [{ type: "update", id: change.row._row_id, line: rowLine(change.row) }];
    case "delete":
      return [{ type: "delete", id: change.id }];
  }
}
