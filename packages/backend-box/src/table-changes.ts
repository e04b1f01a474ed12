import { isDeepStrictEqual } from "node:util";
import type { StoredRow } from "@themis/core";
import { type RowChange, planChanges } from "@themis/core/backend";
import { headerFor, serializeRows } from "@themis/csv-codec";
import { BACKEND_NAME } from "./errors.js";
import { RowIndex } from "./row-index.js";
import { editText } from "./text-edit.js";

/** A change to a table, queued until the next version upload. */
export type TableChange = RowChange;

/** A table's content at one version: what changes are applied to. */
export interface TableContent {
  header: readonly string[];
  /** The CSV text as stored. */
  text: string;
  newline: "\n" | "\r\n";
  /** Position of each row id in the file. */
  index: RowIndex;
  /**
   * The rows, when parsed already. Appends of new rows do not need them (the text is
   * extended); other changes ask for them through `rowsOf`.
   */
  rows: StoredRow[] | undefined;
}

/** The content after a batch of changes. */
export interface Applied {
  /** Something to upload (false when every change was a no-op or failed). */
  changed: boolean;
  content: TableContent;
  /** Changes that could not apply (update or delete of a missing row), by position in the batch. */
  failures: Map<number, Error>;
}

/**
 * Apply changes in order to `base`, without changing it. A change that cannot apply fails
 * alone, as `planChanges` of `@themis/core/backend` decides: an update or delete of a
 * missing row (NotFoundError), an append with a row whose id is stored already or repeated
 * in it (AlreadyExistsError; none of its rows is added). `label` names the table in those
 * errors.
 *
 * `maybeStored` holds the positions of appends that went into an upload whose outcome is
 * unknown (it was answered 412, possibly because a retry of it found its own version): such
 * an append whose rows are all stored, equal and in its order is already done, not a
 * duplicate, so a retried write neither stores its rows twice nor fails. When every change
 * appends new rows under the same columns, the new text is the old one with lines added,
 * and the rows need not be parsed.
 */
export async function applyChanges(
  base: TableContent,
  changes: readonly TableChange[],
  rowsOf: (content: TableContent) => StoredRow[],
  maybeStored: ReadonlySet<number> = new Set(),
  label = "the table",
): Promise<Applied> {
  // Updates and deletes of rows the file has: edit its text, without parsing every row.
  const edited = editText(base, changes);
  if (edited) return edited;
  const plan = await planChanges(changes, { has: (id) => base.index.get(id) !== undefined }, { backend: BACKEND_NAME, label });
  // Ids added by this batch, until a change needs the whole index rebuilt.
  const added = new Map<string, number>();
  let rebuilt: RowIndex | undefined;
  let rows: StoredRow[] | undefined; // a working copy, once a change needs the rows
  const appended: StoredRow[] = [];
  const failures = new Map<number, Error>();
  let onlyAppends = true;
  let changed = false;
  let count = base.index.size;

  const positionOf = (id: string): number | undefined => (rebuilt ? rebuilt.get(id) : (added.get(id) ?? base.index.get(id)));
  const ownRows = (): StoredRow[] => {
    rows ??= [...rowsOf(base), ...appended];
    return rows;
  };
  // The row at a position: until a change needs a working copy, positions past the base
  // rows are rows appended by this batch.
  const current = (at: number): StoredRow => {
    if (rows) return rows[at]!;
    return at < base.index.size ? rowsOf(base)[at]! : appended[at - base.index.size]!;
  };

  changes.forEach((change, position) => {
    const refused = plan.rejected.get(change);
    if (refused) {
      // An append an upload answered 412 may have stored: done when its rows are there as sent.
      const done = change.kind === "append" && maybeStored.has(position) && storedAlready(change.rows, positionOf, current);
      if (!done) failures.set(position, refused);
      return;
    }
    if (change.kind === "append") {
      for (const row of change.rows) {
        if (rebuilt) rebuilt = rebuilt.withAppended([row._row_id]);
        else added.set(row._row_id, count);
        count++;
        appended.push(row);
        rows?.push(row);
        changed = true;
      }
      return;
    }
    const id = change.kind === "update" ? change.row._row_id : change.id;
    const at = positionOf(id);
    if (at === undefined) return; // not reached: planChanges accepted the change, so the row is there
    if (change.kind === "update") {
      if (isDeepStrictEqual(current(at), change.row)) return;
      ownRows()[at] = change.row;
    } else {
      const list = ownRows();
      list.splice(at, 1);
      rebuilt = RowIndex.of(list);
      count--;
    }
    onlyAppends = false;
    changed = true;
  });

  if (!changed) return { changed, content: base, failures };
  if (onlyAppends) {
    const header = headerFor(appended, base.header);
    // Same columns and a file that ends with a complete line: just add lines.
    if (header === base.header && base.text.length > 0) {
      const text = base.text + serializeRows(header, appended, { includeHeader: false, newline: base.newline });
      return {
        changed,
        content: { header, text, newline: base.newline, index: base.index.withAppended([...added.keys()]), rows: base.rows && [...base.rows, ...appended] },
        failures,
      };
    }
  }
  const all = ownRows();
  const header = headerFor(all, base.header);
  const index = rebuilt ?? (added.size > 0 ? base.index.withAppended([...added.keys()]) : base.index);
  return { changed, content: { header, text: serializeRows(header, all, { newline: base.newline }), newline: base.newline, index, rows: all }, failures };
}

/** Whether every row of an append is stored, equal, one after the other: the append was applied already. */
function storedAlready(rows: readonly StoredRow[], positionOf: (id: string) => number | undefined, current: (at: number) => StoredRow): boolean {
  let previous: number | undefined;
  for (const row of rows) {
    const at = positionOf(row._row_id);
    if (at === undefined || (previous !== undefined && at !== previous + 1) || !isDeepStrictEqual(current(at), row)) return false;
    previous = at;
  }
  return true;
}
