import type { Op } from "./segment-format.js";

/** Rows by id in table order, as stored lines. Map keeps insertion order; `set` on a present key keeps its place. */
export type RowLines = Map<string, string>;

/** Apply ops in order: the one definition of what a segment does to a table. */
export function applyOps(rows: RowLines, ops: readonly Op[]): void {
  for (const op of ops) {
    if (op.type === "append") {
      if (!rows.has(op.id)) rows.set(op.id, op.line); // the first stored wins (writers refuse duplicates)
    } else if (op.type === "update") {
      if (rows.has(op.id)) rows.set(op.id, op.line);
    } else rows.delete(op.id);
  }
}

/** Where a row touched by the tail ends up. */
export type TailOutcome = { at: "gone" } | { at: "base"; line: string } | { at: "tail"; order: number; line: string };

/**
 * The uncompacted segments ("tail") of a table, held in memory, folded against a base
 * that is streamed: for each id the tail touches it answers where the row ends up, given
 * whether the base holds it. Same result as {@link applyOps} over base + tail, without
 * holding the base.
 */
export class TailFold {
  readonly #byId = new Map<string, { index: number; op: Op }[]>();

  constructor(ops: readonly Op[]) {
    ops.forEach((op, index) => {
      let list = this.#byId.get(op.id);
      if (!list) this.#byId.set(op.id, (list = []));
      list.push({ index, op });
    });
  }

  /** True when the tail does something to this id. */
  touches(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The ids the tail touches. */
  ids(): IterableIterator<string> {
    return this.#byId.keys();
  }

  /** Where the row with `id` ends up; `baseLine` is its line in the base, if the base holds it. */
  outcome(id: string, baseLine: string | undefined): TailOutcome {
    let state: TailOutcome = baseLine === undefined ? { at: "gone" } : { at: "base", line: baseLine };
    for (const { index, op } of this.#byId.get(id) ?? []) {
      if (op.type === "delete") state = { at: "gone" };
      else if (state.at === "gone") {
        if (op.type === "append") state = { at: "tail", order: index, line: op.line };
      } else if (op.type === "update") state = { ...state, line: op.line };
    }
    return state;
  }
}
