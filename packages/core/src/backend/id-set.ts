/** One shard of an {@link IdSet}: open addressing with linear probing over 48-bit fingerprints. */
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
      const l = this.#lo[i]!;
      const h = this.#hi[i]!;
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
      const l = lo[i]!;
      const h = hi[i]!;
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
export class IdSet {
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
    return this.#shards[Math.floor(fp / 2 ** 40)]!;
  }
}

const TOMBSTONE_LO = 0xffffffff;
const TOMBSTONE_HI = 0xffff;

/**
 * A 48-bit fingerprint of a string (two 32-bit FNV-1a hashes with murmur3's finalizer),
 * never 0 nor the tombstone.
 */
export function fingerprint(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = fmix(a);
  b = fmix(b ^ a) & 0xffff;
  const fp = b * 2 ** 32 + a;
  return fp === 0 || fp === 2 ** 48 - 1 ? 1 : fp;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
