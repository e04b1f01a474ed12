import { AlreadyExistsError, NotFoundError, type ThemisError } from "../errors.js";
import { ROW_ID, type StoredRow } from "../rows.js";

/** One queued change to a table, as a {@link TableStore} method received it. */
export type RowChange =
  | { readonly kind: "append"; readonly rows: readonly StoredRow[] }
  | { readonly kind: "update"; readonly row: StoredRow }
  | { readonly kind: "delete"; readonly id: string };

/**
 * What the store holds before the batch: `"yes"`/`true` and `"no"`/`false` are exact,
 * `"maybe"` (an {@link IdSet} fingerprint hit) is confirmed with `confirm` for appends.
 */
export interface StoredIds {
  has(id: string): boolean | "yes" | "no" | "maybe";
}

/** Options of {@link planChanges}. */
export interface PlanOptions {
  /** The backend's registry name, for the errors. */
  readonly backend: string;
  /** The table in messages, e.g. `dataset "d" of project "p"`. */
  readonly label: string;
  /**
   * Which of these ids (each a "maybe") are really stored: one exact read for the whole
   * batch. Without it a "maybe" counts as stored.
   */
  readonly confirm?: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
}

/** The outcome of {@link planChanges}: what to write, and what to answer with an error. */
export interface ChangePlan<C extends RowChange> {
  /** The changes that apply, in order: write them as one (one file, one segment, one transaction). */
  readonly accepted: readonly C[];
  /** The changes refused alone: AlreadyExistsError (an append's id is taken) or NotFoundError. */
  readonly rejected: ReadonlyMap<C, ThemisError>;
}

/**
 * Decide which of a batch of queued changes apply, in order, as the contract wants each
 * call to behave alone: an append whose id is stored, or repeated within it, is refused
 * whole (AlreadyExistsError; none of its rows is written); an update or delete of an id that
 * is not there, taking the batch's earlier changes into account, is NotFoundError. The
 * refused changes fail alone; the others go out together. The shared core of every
 * rewrite-based or log-based store (a CSV file rewritten, a segment appended, a blob
 * replaced), paired with {@link GroupCommitQueue}.
 *
 * @example
 * ```ts
 * const plan = await planChanges(batch, ids, { backend: "my/backend", label: `dataset "${name}"` });
 * await writeSegment(plan.accepted);
 * return batch.map((c) => plan.rejected.get(c)); // a GroupOutcome
 * ```
 */
export async function planChanges<C extends RowChange>(changes: readonly C[], stored: StoredIds, options: PlanOptions): Promise<ChangePlan<C>> {
  const maybe = changes.flatMap((c) => (c.kind === "append" ? c.rows.map((r) => r._row_id).filter((id) => stored.has(id) === "maybe") : []));
  const confirmed = maybe.length > 0 && options.confirm ? await options.confirm(maybe) : undefined;
  // Only the appended ids were asked about: an update's or delete's "maybe" still counts as stored.
  const asked = new Set(confirmed ? maybe : []);
  // The batch's own effects so far: id -> present after the changes accepted before.
  const overlay = new Map<string, boolean>();
  const has = (id: string): boolean => {
    const own = overlay.get(id);
    if (own !== undefined) return own;
    const answer = stored.has(id);
    if (answer === "maybe") return confirmed && asked.has(id) ? confirmed.has(id) : true;
    return answer === true || answer === "yes";
  };
  const accepted: C[] = [];
  const rejected = new Map<C, ThemisError>();
  const where = { backend: options.backend };
  for (const change of changes) {
    if (change.kind === "append") {
      const taken = firstTaken(change.rows, has);
      if (taken !== undefined) {
        rejected.set(change, new AlreadyExistsError(`${options.label} already has a row with ${ROW_ID} "${taken}"; nothing of the batch was stored`, where));
        continue;
      }
      for (const row of change.rows) overlay.set(row._row_id, true);
    } else {
      const id = change.kind === "update" ? change.row._row_id : change.id;
      if (!has(id)) {
        rejected.set(change, new NotFoundError(`${options.label} has no row with ${ROW_ID} "${id}"`, where));
        continue;
      }
      if (change.kind === "delete") overlay.set(id, false);
    }
    accepted.push(change);
  }
  return { accepted, rejected };
}

/** The first id of `rows` that is stored or repeated in `rows`. */
function firstTaken(rows: readonly StoredRow[], has: (id: string) => boolean): string | undefined {
  const mine = new Set<string>();
  for (const row of rows) {
    if (has(row._row_id) || mine.has(row._row_id)) return row._row_id;
    mine.add(row._row_id);
  }
  return undefined;
}
