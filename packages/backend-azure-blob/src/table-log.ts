import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AlreadyExistsError, ConflictError, NotFoundError } from "@themis/core";
import type { BlobStore } from "./blob-store.js";
import { BACKEND_NAME } from "./config.js";
import { segmentName } from "./layout.js";
import { type Op, encodeSegment, parseSegment } from "./segment-format.js";
import { listSegments, readSegment } from "./table-reader.js";

/** What a writer knows of one table incarnation: the ids it holds and the last segment folded. */
interface WriterState {
  tableId: string;
  seq: number;
  ids: Set<string>;
}

/**
 * The writer of one table in this backend instance. Writes go out one at a time, each as a
 * new segment `seq + 1` created with If-None-Match: *. Creating it proves the writer had
 * folded every segment before it, so the id checks it made are exact; losing it means
 * another writer got there first: fold that writer's segments, check again, try the next
 * number.
 */
export class TableLog {
  readonly #store: BlobStore;
  readonly #label: string;
  readonly #maxRetries: number;
  #state: WriterState | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: BlobStore, label: string, maxRetries: number) {
    this.#store = store;
    this.#label = label;
    this.#maxRetries = maxRetries;
  }

  /** Apply `ops` as one segment of incarnation `tableId` (whose segments live under `prefix`). */
  write(tableId: string, prefix: string, ops: readonly Op[]): Promise<void> {
    const run = this.#queue.then(() => this.#write(tableId, prefix, ops));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(tableId: string, prefix: string, ops: readonly Op[]): Promise<void> {
    if (this.#state?.tableId !== tableId) this.#state = await this.#foldAll(tableId, prefix);
    const state = this.#state;
    const writeId = randomUUID();
    const body = encodeSegment(writeId, ops);
    for (let attempt = 0; ; attempt++) {
      check(state.ids, ops, this.#label);
      if (await this.#store.create(segmentName(prefix, state.seq + 1), body)) {
        apply(state.ids, ops);
        state.seq += 1;
        return;
      }
      // An SDK retry of a PUT that landed though its answer was lost finds our own segment.
      if (await this.#catchUp(state, prefix, writeId)) return;
      if (attempt >= this.#maxRetries) {
        throw new ConflictError(`other writers kept winning the next segment of ${this.#label} (${attempt + 1} attempts)`, { backend: BACKEND_NAME, retryable: true });
      }
      await sleep(Math.random() * Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
    }
  }

  /** Fold the segments written since `state.seq`; true if one of them is the write `writeId`. */
  async #catchUp(state: WriterState, prefix: string, writeId: string): Promise<boolean> {
    let ours = false;
    for (;;) {
      const text = await this.#store.getText(segmentName(prefix, state.seq + 1));
      if (text === undefined) return ours;
      const segment = parseSegment(text, segmentName(prefix, state.seq + 1));
      state.ids = apply(state.ids, segment.ops);
      state.seq += 1;
      if (segment.writeId === writeId) ours = true;
    }
  }

  async #foldAll(tableId: string, prefix: string): Promise<WriterState> {
    const state: WriterState = { tableId, seq: 0, ids: new Set() };
    for (const ref of await listSegments(this.#store, prefix)) {
      state.ids = apply(state.ids, (await readSegment(this.#store, ref.name, this.#label)).ops);
      state.seq = ref.seq;
    }
    return state;
  }
}

/** The ids after `ops` (mutates and returns `ids`). */
function apply(ids: Set<string>, ops: readonly Op[]): Set<string> {
  for (const o of ops) {
    if (o.op === "a") ids.add(o.row._row_id);
    else if (o.op === "d") ids.delete(o.id);
  }
  return ids;
}

/**
 * Refuse `ops` when one appends an id that exists or updates or deletes one that does not
 * (in order, within the batch too). Changes nothing: the caller applies them once written.
 */
function check(ids: ReadonlySet<string>, ops: readonly Op[], label: string): void {
  const added = new Set<string>();
  const removed = new Set<string>();
  const has = (id: string) => added.has(id) || (ids.has(id) && !removed.has(id));
  for (const o of ops) {
    const id = o.op === "d" ? o.id : o.row._row_id;
    if (o.op === "a") {
      if (has(id)) throw new AlreadyExistsError(`row "${id}" already exists in ${label}`, { backend: BACKEND_NAME });
      added.add(id);
    } else if (!has(id)) {
      throw new NotFoundError(`row "${id}" does not exist in ${label}`, { backend: BACKEND_NAME });
    } else if (o.op === "d") {
      added.delete(id);
      removed.add(id);
    }
  }
}
