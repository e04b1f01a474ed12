import { isDeepStrictEqual } from "node:util";
import { NotFoundError, ROW_ID, type StoredRow } from "@themis/core";
import { headerFor, serializeRows } from "@themis/csv-codec";
import { BACKEND } from "./errors.js";
import { RowIndex } from "./row-index.js";

/** A change to a table, queued until the next version upload. */
export type TableChange = { kind: "append"; rows: readonly StoredRow[] } | { kind: "update"; row: StoredRow } | { kind: "delete"; id: string };

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
 * alone. Appending a row whose id is stored already replaces it in place, and is no change
 * at all when the stored row is equal: an append retried after an unknown outcome does not
 * store its rows twice. When every change appends new rows under the same columns, the new
 * text is the old one with lines added, and the rows need not be parsed.
 */
export function applyChanges(base: TableContent, changes: readonly TableChange[], rowsOf: (content: TableContent) => StoredRow[]): Applied {
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
    if (change.kind === "append") {
      for (const row of change.rows) {
        const at = positionOf(row._row_id);
        if (at === undefined) {
          if (rebuilt) rebuilt = rebuilt.withAppended([row._row_id]);
          else added.set(row._row_id, count);
          count++;
          appended.push(row);
          rows?.push(row);
          changed = true;
        } else if (!isDeepStrictEqual(current(at), row)) {
          ownRows()[at] = row;
          onlyAppends = false;
          changed = true;
        }
      }
      return;
    }
    const id = change.kind === "update" ? change.row._row_id : change.id;
    const at = positionOf(id);
    if (at === undefined) {
      failures.set(position, new NotFoundError(`no row with ${ROW_ID} "${id}"`, { backend: BACKEND }));
      return;
    }
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
      return { changed, content: { header, text, newline: base.newline, index: base.index.withAppended([...added.keys()]), rows: base.rows && [...base.rows, ...appended] }, failures };
    }
  }
  const all = ownRows();
  const header = headerFor(all, base.header);
  const index = rebuilt ?? (added.size > 0 ? base.index.withAppended([...added.keys()]) : base.index);
  return { changed, content: { header, text: serializeRows(header, all, { newline: base.newline }), newline: base.newline, index, rows: all }, failures };
}
