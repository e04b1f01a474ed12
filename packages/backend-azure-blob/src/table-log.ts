import { randomUUID } from "node:crypto";
import { ConflictError } from "@themis/core";
import { type ChangePlan, GroupCommitQueue, type GroupOutcome, IdSet, type RowChange, planChanges, retryTransient } from "@themis/core/backend";
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

/**
 * What a writer knows of one incarnation: the ids it holds (as IdSet fingerprints, a few
 * bytes each, confirmed against the segments on a "maybe") and the last segment folded.
 */
interface WriterState extends Incarnation {
  seq: number;
  ids: IdSet;
}

/** One call's change, queued for the next segment. */
interface Queued {
  current: () => Promise<Incarnation>;
  change: RowChange;
}

/** What one attempt did: its plan, and whether its segment landed (or had nothing to write). */
interface Attempt {
  plan: ChangePlan<RowChange>;
  done: boolean;
  /** A segment was created (to take back if the table turns out to be deleted meanwhile). */
  created: boolean;
}

/**
 * The writer of one table in this backend instance. Calls queue in a group commit
 * (`GroupCommitQueue` of `@themis/core/backend`): the changes queued while a segment is in
 * flight go out together as the next one, `seq + 1`, created with If-None-Match: *.
 * Creating it proves the writer had folded every segment before it, so the id checks it made
 * (`planChanges`) are exact; losing it means another writer got there first: fold that
 * writer's segments, plan again, try the next number.
 */
export class TableLog {
  readonly #store: BlobStore;
  readonly #label: string;
  readonly #maxRetries: number;
  readonly #concurrency: number;
  readonly #queue = new GroupCommitQueue<Queued>((group) => this.#writeGroup(group));
  #state: WriterState | undefined;

  constructor(store: BlobStore, label: string, maxRetries: number, concurrency: number) {
    this.#store = store;
    this.#label = label;
    this.#maxRetries = maxRetries;
    this.#concurrency = concurrency;
  }

  /**
   * Apply `change` to the table's current incarnation, which `current()` reads (from the
   * manifest; NotFoundError once the table is deleted), in one segment with the changes
   * queued beside it. Refused alone (AlreadyExistsError, NotFoundError) when it cannot apply.
   */
  write(current: () => Promise<Incarnation>, change: RowChange): Promise<void> {
    return this.#queue.enqueue({ current, change });
  }

  async #writeGroup(group: readonly Queued[]): Promise<GroupOutcome> {
    const [head] = group;
    if (!head) return;
    const changes = group.map((q) => q.change);
    const writeId = randomUUID();
    // Every queued call names the same table: one manifest read serves the group.
    const manifest = head.current();
    manifest.catch(() => undefined);
    const known = this.#state;
    if (known) {
      // Optimistic: the first attempt, on the incarnation this writer knows, goes out while
      // the manifest is read (one round trip instead of two).
      const first = this.#attempt(known, changes, writeId);
      first.catch(() => undefined);
      const [m, r] = await Promise.allSettled([manifest, first]);
      if (m.status === "fulfilled" && m.value.tableId === known.tableId) {
        if (r.status === "rejected") throw r.reason;
        return r.value.done ? outcome(changes, r.value.plan) : this.#retry(known, changes, writeId, r.value.plan);
      }
      // Deleted (and maybe created again) meanwhile: take back what landed in the old incarnation.
      if (r.status === "fulfilled" && r.value.created) await this.#store.delete(segmentName(known.prefix, known.seq));
      this.#state = undefined;
    }
    const state = await this.#foldAll(await manifest);
    this.#state = state;
    const attempt = await this.#attempt(state, changes, writeId);
    return attempt.done ? outcome(changes, attempt.plan) : this.#retry(state, changes, writeId, attempt.plan);
  }

  /** Plan `changes` against what the writer knows, then try to create segment `seq + 1`. */
  async #attempt(state: WriterState, changes: readonly RowChange[], writeId: string): Promise<Attempt> {
    const plan = await planChanges(changes, state.ids, { backend: BACKEND_NAME, label: this.#label, confirm: (ids) => this.#confirm(state, ids) });
    const ops = plan.accepted.flatMap(toOps);
    if (ops.length === 0) return { plan, done: true, created: false };
    if (!(await this.#store.create(segmentName(state.prefix, state.seq + 1), encodeSegment(writeId, ops)))) return { plan, done: false, created: false };
    apply(state.ids, ops);
    state.seq += 1;
    return { plan, done: true, created: true };
  }

  /**
   * After a lost attempt: fold the winners' segments, back off, plan and try the next number,
   * up to `maxRetries` more attempts (call 1 of the loop only catches up, then backs off).
   */
  async #retry(state: WriterState, changes: readonly RowChange[], writeId: string, lastPlan: ChangePlan<RowChange>): Promise<GroupOutcome> {
    let plan = lastPlan;
    let gaveUp = false;
    const lost = () => new ConflictError(`another writer won segment ${state.seq + 1} of ${this.#label}`, { backend: BACKEND_NAME });
    return retryTransient(
      async (call) => {
        // An SDK retry of a PUT that landed though its answer was lost finds our own segment.
        if (await this.#catchUp(state, writeId)) return outcome(changes, plan);
        if (call > this.#maxRetries + 1) {
          gaveUp = true;
          throw new ConflictError(`other writers kept winning the next segment of ${this.#label} (${call} attempts)`, { backend: BACKEND_NAME });
        }
        if (call === 1) throw lost();
        const attempt = await this.#attempt(state, changes, writeId);
        plan = attempt.plan;
        if (attempt.done) return outcome(changes, plan);
        throw lost();
      },
      { retries: this.#maxRetries + 1, minDelayMs: 10, maxDelayMs: 1000, retryOn: (error) => !gaveUp && error instanceof ConflictError },
    );
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
    const state: WriterState = { ...incarnation, seq: 0, ids: new IdSet() };
    const refs = await listSegments(this.#store, incarnation.prefix);
    for await (const segment of orderedMap(refs, this.#concurrency, (ref) => readSegment(this.#store, ref.name, this.#label))) {
      apply(state.ids, segment.ops);
      state.seq += 1;
    }
    return state;
  }

  /** Which of `ids` (IdSet "maybe"s) the segments up to `state.seq` really hold: one exact read. */
  async #confirm(state: WriterState, ids: readonly string[]): Promise<Set<string>> {
    const asked = new Set(ids);
    const present = new Set<string>();
    const refs = (await listSegments(this.#store, state.prefix)).filter((ref) => ref.seq <= state.seq);
    for await (const segment of orderedMap(refs, this.#concurrency, (ref) => readSegment(this.#store, ref.name, this.#label))) {
      for (const o of segment.ops) {
        const id = o.op === "d" ? o.id : o.row._row_id;
        if (!asked.has(id)) continue;
        if (o.op === "a") present.add(id);
        else if (o.op === "d") present.delete(id);
      }
    }
    return present;
  }
}

/** The ops a change writes. */
function toOps(change: RowChange): Op[] {
  if (change.kind === "append") return change.rows.map((row) => ({ op: "a", row }));
  return [change.kind === "update" ? { op: "u", row: change.row } : { op: "d", id: change.id }];
}

/** Each queued change's answer: undefined when written, its error when refused. */
function outcome(changes: readonly RowChange[], plan: ChangePlan<RowChange>): GroupOutcome {
  return changes.map((c) => plan.rejected.get(c));
}

/** Fold `ops` into the writer's ids. */
function apply(ids: IdSet, ops: readonly Op[]): void {
  for (const o of ops) {
    if (o.op === "a") ids.add(o.row._row_id);
    else if (o.op === "d") ids.delete(o.id);
  }
}
