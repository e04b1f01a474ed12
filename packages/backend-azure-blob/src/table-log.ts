import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AlreadyExistsError, ConflictError, NotFoundError } from "@themis/core";
import type { BlobStore } from "./blob-store.js";
import { BACKEND_NAME } from "./config.js";
import { segmentName } from "./layout.js";
import { type Op, encodeSegment, parseSegment } from "./segment-format.js";
import { orderedMap } from "./ordered.js";
import { listSegments, readSegment } from "./table-reader.js";

/** One incarnation of a table: its id and where its segments live. */
export interface Incarnation {
  tableId: string;
  prefix: string;
}

/** What a writer knows of one incarnation: the ids it holds and the last segment folded. */
interface WriterState extends Incarnation {
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
  readonly #concurrency: number;
  #state: WriterState | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: BlobStore, label: string, maxRetries: number, concurrency: number) {
    this.#store = store;
    this.#label = label;
    this.#maxRetries = maxRetries;
    this.#concurrency = concurrency;
  }

  /**
   * Apply `ops` as one segment of the table's current incarnation, which `current()` reads
   * (from the manifest; NotFoundError once the table is deleted).
   */
  write(current: () => Promise<Incarnation>, ops: readonly Op[]): Promise<void> {
    const run = this.#queue.then(() => this.#write(current, ops));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(current: () => Promise<Incarnation>, ops: readonly Op[]): Promise<void> {
    const writeId = randomUUID();
    const body = encodeSegment(writeId, ops);
    const manifest = current();
    manifest.catch(() => undefined);
    const known = this.#state;
    if (known) {
      // Optimistic: the first attempt, on the incarnation this writer knows, goes out while
      // the manifest is read (one round trip instead of two).
      const first = this.#attempt(known, ops, body);
      first.catch(() => undefined);
      const [m, r] = await Promise.allSettled([manifest, first]);
      if (m.status === "fulfilled" && m.value.tableId === known.tableId) {
        if (r.status === "rejected") throw r.reason;
        if (r.value) return;
        return this.#retry(known, ops, body, writeId);
      }
      // Deleted (and maybe created again) meanwhile: take back what landed in the old incarnation.
      if (r.status === "fulfilled" && r.value) await this.#store.delete(segmentName(known.prefix, known.seq));
      this.#state = undefined;
    }
    const incarnation = await manifest;
    const state = await this.#foldAll(incarnation);
    this.#state = state;
    if (await this.#attempt(state, ops, body)) return;
    return this.#retry(state, ops, body, writeId);
  }

  /** Check `ops` against what the writer knows, then try to create segment `seq + 1`. */
  async #attempt(state: WriterState, ops: readonly Op[], body: string): Promise<boolean> {
    check(state.ids, ops, this.#label);
    if (!(await this.#store.create(segmentName(state.prefix, state.seq + 1), body))) return false;
    apply(state.ids, ops);
    state.seq += 1;
    return true;
  }

  /** After a lost attempt: fold the winners' segments, back off, try the next number. */
  async #retry(state: WriterState, ops: readonly Op[], body: string, writeId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // An SDK retry of a PUT that landed though its answer was lost finds our own segment.
      if (await this.#catchUp(state, writeId)) return;
      if (attempt > this.#maxRetries) {
        throw new ConflictError(`other writers kept winning the next segment of ${this.#label} (${attempt} attempts)`, { backend: BACKEND_NAME, retryable: true });
      }
      await sleep(Math.random() * Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
      if (await this.#attempt(state, ops, body)) return;
    }
  }

  /** Fold the segments written since `state.seq`; true if one of them is the write `writeId`. */
  async #catchUp(state: WriterState, writeId: string): Promise<boolean> {
    let ours = false;
    for (;;) {
      const name = segmentName(state.prefix, state.seq + 1);
      const text = await this.#store.getText(name);
      if (text === undefined) return ours;
      const segment = parseSegment(text, name);
      apply(state.ids, segment.ops);
      state.seq += 1;
      if (segment.writeId === writeId) ours = true;
    }
  }

  async #foldAll(incarnation: Incarnation): Promise<WriterState> {
    const state: WriterState = { ...incarnation, seq: 0, ids: new Set() };
    const refs = await listSegments(this.#store, incarnation.prefix);
    for await (const segment of orderedMap(refs, this.#concurrency, (ref) => readSegment(this.#store, ref.name, this.#label))) {
      apply(state.ids, segment.ops);
      state.seq += 1;
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
