import { randomUUID } from "node:crypto";
import type { TablePaths } from "./layout.js";
import type { ObjectStore } from "./object-store.js";
import { type Op, encodePointerSegment, encodeSegment } from "./segment-format.js";
import type { Plan } from "./write-plan.js";

/**
 * One write's attempts at creating a segment: its writeId (to recognise its own segment
 * after a lost answer), the plans it tried by segment number, and the blob a large batch
 * was uploaded to once (the segment then only points at it).
 */
export class SegmentWrite {
  readonly writeId = randomUUID();
  readonly #store: ObjectStore;
  readonly #paths: TablePaths;
  readonly #tried = new Map<number, Plan>();
  #landed: number | undefined;
  #blobKey: string | undefined;
  #blobOps: readonly Op[] | undefined;
  #blobCount = 0;
  /** Whether a segment of ours may point at the blob (a PUT whose outcome is unknown). */
  #blobMayBeReferenced = false;
  #lastPointedAtBlob = false;

  constructor(store: ObjectStore, paths: TablePaths) {
    this.#store = store;
    this.#paths = paths;
  }

  key(tableId: string, seq: number): string {
    return this.#paths.segment(tableId, seq);
  }

  /** A segment folded by a refresh: ours when it carries our writeId at a number we tried. */
  noticed(seq: number, writeId: string): void {
    if (writeId === this.writeId && this.#tried.has(seq)) this.#landed = seq;
  }

  /** The plan of a segment of ours a refresh found (a PUT that landed though it looked lost). */
  landedPlan(): { seq: number; plan: Plan } | undefined {
    return this.#landed === undefined ? undefined : { seq: this.#landed, plan: this.#tried.get(this.#landed)! };
  }

  /** Create segment `seq` holding the plan's ops (If-None-Match: *). False when the number is taken. */
  async put(tableId: string, seq: number, plan: Plan): Promise<boolean> {
    let body = encodeSegment(this.writeId, plan.ops);
    const pointsAtBlob = Buffer.byteLength(body) > this.#store.partSizeBytes;
    if (pointsAtBlob) body = encodePointerSegment(this.writeId, await this.#blob(tableId, plan.ops, body));
    this.#lastPointedAtBlob = pointsAtBlob;
    if (pointsAtBlob) this.#blobMayBeReferenced = true;
    this.#tried.set(seq, plan); // kept when the key was taken: the taker may be this write (a lost answer)
    const created = await this.#store.putIfAbsent(this.key(tableId, seq), body, this.writeId);
    if (pointsAtBlob) this.#blobMayBeReferenced = created;
    return created;
  }

  /**
   * The blob holding `ops`: too big for one PUT to be cheap to retry, they are uploaded once
   * (multipart) and segments point at them; again only when the plan changed (writes
   * refused after a conflict) or the table was re-created.
   */
  async #blob(tableId: string, ops: readonly Op[], body: string): Promise<string> {
    if (this.#blobKey?.startsWith(this.#paths.data(tableId)) && sameOps(this.#blobOps!, ops)) return this.#blobKey;
    if (this.#blobKey && !this.#blobMayBeReferenced) await this.#store.delete(this.#blobKey).catch(() => undefined);
    const key = this.#paths.blob(tableId, this.#blobCount++ === 0 ? this.writeId : `${this.writeId}-${this.#blobCount}`);
    this.#blobKey = key;
    this.#blobOps = ops;
    this.#blobMayBeReferenced = false;
    await this.#store.upload(key, chunked(body));
    return key;
  }

  /** Remove segment `seq` we created below the compacted range. */
  async takeBack(tableId: string, seq: number): Promise<void> {
    await this.#store.delete(this.key(tableId, seq));
    this.#tried.delete(seq);
    if (this.#lastPointedAtBlob) this.#blobMayBeReferenced = false;
  }

  /**
   * The write failed: a blob no segment points at goes; one a segment may point at (a PUT
   * that failed without an answer) stays: compaction removes it if it turns out to be an orphan.
   */
  async abandon(): Promise<void> {
    if (this.#blobKey && !this.#blobMayBeReferenced) await this.#store.delete(this.#blobKey).catch(() => undefined);
  }
}

/** Whether two plans write the same ops (a blob uploaded for one serves the other). */
function sameOps(a: readonly Op[], b: readonly Op[]): boolean {
  return a.length === b.length && a.every((op, i) => op.type === b[i]!.type && op.id === b[i]!.id);
}

/** A large body in 1 MiB byte slices (slicing bytes, not UTF-16 units, keeps characters whole). */
async function* chunked(text: string): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, "utf8");
  const size = 1 << 20;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
