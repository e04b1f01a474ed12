// The IdSet and DoneSet of @themis/core before packing (hash tables of fingerprints), kept
// verbatim (less their docs) as the baseline of bench/id-set.bench.ts. Not used anywhere else.
import { randomBytes } from "node:crypto";
import { fingerprint } from "@themis/core/backend";

class IdShard {
  /** Low 32 and high 16 bits of each slot's fingerprint; (0, 0) is an empty slot. */
  #lo: Uint32Array;
  #hi: Uint16Array;
  /** Slots in use, tombstones included (open addressing with linear probing). */
  #used = 0;
  #size = 0;
  /** Fingerprints stored more than once: their count. Almost always empty. */
  readonly #extra = new Map<number, number>();

  constructor(capacity: number) {
    this.#lo = new Uint32Array(capacity);
    this.#hi = new Uint16Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  has(fp: number): boolean {
    return this.#find(fp) >= 0;
  }

  add(fp: number): void {
    const at = this.#find(fp);
    if (at >= 0) {
      this.#extra.set(fp, (this.#extra.get(fp) ?? 1) + 1);
      this.#size++;
      return;
    }
    if ((this.#used + 1) * 5 > this.#lo.length * 4) this.#rehash();
    this.#place(fp);
    this.#used++;
    this.#size++;
  }

  /** Remove one fingerprint (a no-op when absent). */
  delete(fp: number): void {
    const at = this.#find(fp);
    if (at < 0) return;
    this.#size--;
    const count = this.#extra.get(fp);
    if (count !== undefined) {
      if (count > 2) this.#extra.set(fp, count - 1);
      else this.#extra.delete(fp);
      return;
    }
    this.#lo[at] = TOMBSTONE_LO;
    this.#hi[at] = TOMBSTONE_HI;
  }

  #find(fp: number): number {
    const lo = fp % 2 ** 32;
    const hi = (fp - lo) / 2 ** 32;
    const n = this.#lo.length;
    for (let i = lo % n; ; i = i + 1 === n ? 0 : i + 1) {
      const l = this.#lo[i] as number;
      const h = this.#hi[i] as number;
      if (l === lo && h === hi) return i;
      if (l === 0 && h === 0) return -1;
    }
  }

  #place(fp: number): void {
    const lo = fp % 2 ** 32;
    const hi = (fp - lo) / 2 ** 32;
    const n = this.#lo.length;
    let i = lo % n;
    // A tombstone is reused only on a rehash: `find` must keep probing past it.
    while (this.#lo[i] !== 0 || this.#hi[i] !== 0) i = i + 1 === n ? 0 : i + 1;
    this.#lo[i] = lo;
    this.#hi[i] = hi;
  }

  /** Drop tombstones, and grow by half when more than 60% of the slots hold ids. */
  #rehash(): void {
    const lo = this.#lo;
    const hi = this.#hi;
    const live = this.#size - [...this.#extra.values()].reduce((a, c) => a + c - 1, 0);
    const capacity = live * 5 > lo.length * 3 ? Math.ceil(lo.length * 1.5) : lo.length;
    this.#lo = new Uint32Array(capacity);
    this.#hi = new Uint16Array(capacity);
    for (let i = 0; i < lo.length; i++) {
      const l = lo[i] as number;
      const h = hi[i] as number;
      if ((l === 0 && h === 0) || (l === TOMBSTONE_LO && h === TOMBSTONE_HI)) continue;
      this.#place(h * 2 ** 32 + l);
    }
    this.#used = live;
  }
}

/** Shards by the fingerprint's top 8 bits: each grows on its own, so a growth copies 1/256 of the set. */
const SHARDS = 256;

/**
 * The ids of a table as 48-bit fingerprints in flat typed arrays: about 6 to 11 bytes per
 * row (75-110 MB at 10M rows) instead of the ~80 bytes of a JS Set of id strings, so that a
 * writer can check appends for duplicate ids without holding the rows.
 *
 * `has` answers "no" exactly and "maybe" otherwise: two ids share a fingerprint with
 * probability 2^-48 per comparison, so a "maybe" for an id never stored is rare (~1e-14 per
 * lookup) and the caller confirms it against its store (an exact check: s3 reads the segments, local/csv the file). Fingerprints stored more than
 * once (such collisions) are counted, so removing one id never hides another.
 */
export class OldIdSet {
  readonly #shards: IdShard[] = Array.from({ length: SHARDS }, () => new IdShard(16));
  #size = 0;

  /** Number of ids stored. */
  get size(): number {
    return this.#size;
  }

  /** "no" when `id` is certainly absent, "maybe" when its fingerprint is stored. */
  has(id: string): "no" | "maybe" {
    const fp = fingerprint(id);
    return this.#shard(fp).has(fp) ? "maybe" : "no";
  }

  add(id: string): void {
    const fp = fingerprint(id);
    this.#shard(fp).add(fp);
    this.#size++;
  }

  /** Remove one id (a no-op when its fingerprint is absent). */
  delete(id: string): void {
    const fp = fingerprint(id);
    const shard = this.#shard(fp);
    const before = shard.size;
    shard.delete(fp);
    this.#size -= before - shard.size;
  }

  #shard(fp: number): IdShard {
    return this.#shards[Math.floor(fp / 2 ** 40)] as IdShard;
  }
}

const TOMBSTONE_LO = 0xffffffff;
const TOMBSTONE_HI = 0xffff;

export class OldDoneSet {
  #lo = new Uint32Array(1024);
  #hi = new Uint32Array(1024);
  #size = 0;
  readonly #seedA: number;
  readonly #seedB: number;

  constructor() {
    const salt = randomBytes(8);
    this.#seedA = salt.readUInt32LE(0);
    this.#seedB = salt.readUInt32LE(4);
  }

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    const [a, b] = this.#hash(id);
    return this.#find(a, b) >= 0;
  }

  add(id: string): void {
    const [a, b] = this.#hash(id);
    if (this.#find(a, b) >= 0) return;
    if ((this.#size + 1) * 4 > this.#lo.length * 3) this.#grow();
    this.#place(a, b);
    this.#size++;
  }

  /** Two 32-bit FNV-1a hashes (different seeds) with murmur3's finalizer; (0, 0) marks an empty slot. */
  #hash(id: string): [number, number] {
    let a = 0x811c9dc5 ^ this.#seedA;
    let b = 0x01000193 ^ this.#seedB;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = fmix(a);
    b = fmix(b);
    return a === 0 && b === 0 ? [1, 0] : [a, b];
  }

  #find(a: number, b: number): number {
    const mask = this.#lo.length - 1;
    for (let i = a & mask; ; i = (i + 1) & mask) {
      const lo = this.#lo[i] as number;
      const hi = this.#hi[i] as number;
      if (lo === a && hi === b) return i;
      if (lo === 0 && hi === 0) return -1;
    }
  }

  #place(a: number, b: number): void {
    const mask = this.#lo.length - 1;
    let i = a & mask;
    while (this.#lo[i] !== 0 || this.#hi[i] !== 0) i = (i + 1) & mask;
    this.#lo[i] = a;
    this.#hi[i] = b;
  }

  #grow(): void {
    const lo = this.#lo;
    const hi = this.#hi;
    this.#lo = new Uint32Array(lo.length * 2);
    this.#hi = new Uint32Array(hi.length * 2);
    for (let i = 0; i < lo.length; i++) {
      const a = lo[i] as number;
      const b = hi[i] as number;
      if (a !== 0 || b !== 0) this.#place(a, b);
    }
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
