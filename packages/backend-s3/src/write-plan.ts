import { AlreadyExistsError, NotFoundError, type StoredRow } from "@themis/core";
import { BACKEND_NAME } from "./config.js";
import type { TableState } from "./fold.js";
import { type Op, rowLine } from "./segment-format.js";

/** A write waiting for the next segment (writes queued together share one segment). */
export type Write = { kind: "append"; rows: readonly StoredRow[] } | { kind: "update"; row: StoredRow } | { kind: "delete"; id: string };
export type Pending = Write & { resolve: () => void; reject: (error: unknown) => void };

/** What one segment attempt writes, and the queued writes it answers with an error instead. */
export interface Plan {
  ops: Op[];
  rejected: Map<Pending, Error>;
}

/**
 * Decide which queued writes apply to rows as folded up to the segment before ours: an
 * append with an id that exists (or twice in it) is answered AlreadyExistsError, and none
 * of its rows is written; updates and deletes of ids that do not exist are answered
 * NotFoundError.
 *
 * Above the state's line cache only id fingerprints are known: an appended id whose
 * fingerprint is stored ("maybe", in practice a true duplicate) is looked up exactly with
 * `confirm` (one streamed read of the table for the whole batch); an update or delete
 * trusts the fingerprint (wrong with probability ~1e-14: the op is then a no-op).
 */
export async function planWrites(batch: readonly Pending[], state: TableState, label: string, confirm: (ids: string[]) => Promise<Set<string>>): Promise<Plan> {
  const maybe = batch.flatMap((p) => (p.kind === "append" ? p.rows.map((r) => r._row_id).filter((id) => state.has(id) === "maybe") : []));
  const confirmed = maybe.length > 0 ? await confirm(maybe) : new Set<string>();
  const ops: Op[] = [];
  const rejected = new Map<Pending, Error>();
  const overlay = new Map<string, boolean>();
  const stored = (id: string, exact: boolean): boolean => {
    const known = overlay.get(id);
    if (known !== undefined) return known;
    const has = state.has(id);
    return has === "yes" || (has === "maybe" && (!exact || confirmed.has(id)));
  };
  for (const p of batch) {
    if (p.kind === "append") {
      const mine = new Set<string>();
      const taken = p.rows.find((row) => {
        if (stored(row._row_id, true) || mine.has(row._row_id)) return true;
        mine.add(row._row_id);
        return false;
      });
      if (taken) {
        rejected.set(p, new AlreadyExistsError(`${label} already has a row with _row_id "${taken._row_id}"; nothing of the batch was stored`, { backend: BACKEND_NAME }));
        continue;
      }
      for (const row of p.rows) {
        ops.push({ type: "append", id: row._row_id, line: rowLine(row) });
        overlay.set(row._row_id, true);
      }
    } else {
      const id = p.kind === "update" ? p.row._row_id : p.id;
      if (!stored(id, false)) {
        rejected.set(p, new NotFoundError(`${label} has no row with _row_id "${id}"`, { backend: BACKEND_NAME }));
      } else if (p.kind === "update") {
        ops.push({ type: "update", id, line: rowLine(p.row) });
      } else {
        ops.push({ type: "delete", id });
        overlay.set(id, false);
      }
    }
  }
  return { ops, rejected };
}
