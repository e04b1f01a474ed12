/**
 * A static, sorted set of fixed-width keys stored in about `width - log2(size) + 5` bits each:
 * the building block of {@link FingerprintSet}.
 *
 * A key is a pair `(hi, lo)`: `hi` holds its top `hiBits` bits (at most 26) and `lo` its low 32
 * bits. The keys are uniformly spread (they are hashes), so the top `q` bits of a key pick one
 * of `2^q` buckets holding ~16-32 keys each; a bucket's keys are stored sorted, without those
 * `q` bits (they are implied by the bucket: "quotienting"), bit-packed at a fixed width so that
 * a lookup is a binary search over ~5 entries. A directory of `2^q + 1` offsets (4 bytes per
 * bucket, so 1/8 to 1/4 byte a key) says where each bucket starts. For an IdSet of 10M ids
 * (48-bit fingerprints in 64 shards, so 42-bit keys, 156k a shard) this is 29 bits plus ~1.7
 * bits of directory a key, where a hash table of 48-bit slots needs 48 bits at 100% load
 * and 64-80 in practice.
 *
 * Built from sorted keys ({@link PackedKeys.build}); changes go to a small table beside it and
 * are merged in batches (fingerprint-set.ts), in place while the arrays have room (they are
 * made up to 1/8 larger than needed, see {@link capacityFor}).
 */
export class PackedKeys {
  #size: number;
  /** Keys the arrays have room for: inserts up to it move bits in place, allocating nothing. */
  readonly #capacity: number;
  readonly #hiBits: number;
  /** Bucket bits: the top `q` bits of a key pick its bucket. */
  readonly #q: number;
  /** `#dir[b]` is the index of bucket b's first key; `#dir[2^q]` is `size`. */
  readonly #dir: Uint32Array;
  /** The rest of each key: its high part (`hiBits - q` bits, when q < hiBits) and low part. */
  readonly #remHi: BitArray;
  readonly #remLo: BitArray;

  private constructor(hiBits: number, size: number, capacity: number) {
    this.#size = size;
    this.#hiBits = hiBits;
    this.#q = bucketBits(hiBits, size);
    this.#capacity = Math.max(size, capacity);
    this.#dir = new Uint32Array(2 ** this.#q + 1);
    const extra = this.#q - hiBits;
    this.#remHi = new BitArray(this.#capacity, Math.max(0, -extra));
    this.#remLo = new BitArray(this.#capacity, 32 - Math.max(0, extra));
  }

  /** Keys stored. */
  get size(): number {
    return this.#size;
  }

  /** An empty set of keys whose `hi` part has `hiBits` bits (0 to 26). */
  static empty(hiBits: number): PackedKeys {
    return new PackedKeys(hiBits, 0, 0);
  }

  /**
   * Pack `size` keys given in ascending order (by `hi`, then `lo`) and without repeats, as
   * `next()` returns them: `next` writes the key into `out` (`out[0]` = hi, `out[1]` = lo).
   * `capacity` (default: `size`) leaves room for keys {@link PackedKeys.insert} adds in place.
   */
  static build(hiBits: number, size: number, next: (out: Uint32Array) => void, capacity = size): PackedKeys {
    const keys = new PackedKeys(hiBits, size, capacity);
    const key = new Uint32Array(2);
    const dir = keys.#dir;
    const writeHi = keys.#remHi.writer();
    const writeLo = keys.#remLo.writer();
    let bucket = 0;
    for (let i = 0; i < size; i++) {
      next(key);
      const b = keys.#bucket(key[0] as number, key[1] as number);
      // Buckets skipped (empty) start where the next non-empty one does.
      while (bucket < b) dir[++bucket] = i;
      writeHi(keys.#restHi(key[0] as number));
      writeLo(keys.#restLo(key[1] as number));
    }
    while (bucket < dir.length - 1) dir[++bucket] = size;
    return keys;
  }

  /**
   * These keys and `(addHi[k], addLo[k])` (ascending, none already here), or `undefined` when
   * so many keys need other bucket bits (then {@link PackedKeys.build} it is). With room
   * enough, the keys are inserted in place and `this` is returned; else into a new
   * `PackedKeys` with 1/8 room to spare, the keys kept moving as runs of bits (a few word
   * operations per key, where a rebuild decodes and encodes each: merges are the main cost
   * of adding keys).
   *
   * In place matters at scale: a new set of arrays per merge, the old ones left to the
   * garbage collector (they live long enough to reach V8's old generation, freed only by a
   * full collection), kept several times the set's own size in dead arrays (issue 18).
   */
  insert(addHi: Uint32Array, addLo: Uint32Array): PackedKeys | undefined {
    const added = addHi.length;
    const total = this.#size + added;
    if (bucketBits(this.#hiBits, total) !== this.#q) return undefined;
    if (total <= this.#capacity) {
      this.#insertInPlace(addHi, addLo);
      return this;
    }
    const next = new PackedKeys(this.#hiBits, total, capacityFor(this.#hiBits, total));
    const dir = this.#dir;
    const newDir = next.#dir;
    let bucket = 0;
    let from = 0;
    for (let k = 0; k < added; k++) {
      const hi = addHi[k] as number;
      const lo = addLo[k] as number;
      const b = this.#bucket(hi, lo);
      // Buckets up to b start `k` keys further on: the added keys before them.
      for (; bucket <= b; bucket++) newDir[bucket] = (dir[bucket] as number) + k;
      const at = this.#lowerBound(b, this.#restHi(hi), this.#restLo(lo));
      // Kept keys [from, at) shift by k; the new key goes at `at + k`.
      this.#remHi.copyTo(next.#remHi, from, from + k, at - from);
      this.#remLo.copyTo(next.#remLo, from, from + k, at - from);
      next.#remHi.put(at + k, this.#restHi(hi));
      next.#remLo.put(at + k, this.#restLo(lo));
      from = at;
    }
    for (; bucket < dir.length; bucket++) newDir[bucket] = (dir[bucket] as number) + added;
    this.#remHi.copyTo(next.#remHi, from, from + added, this.#size - from);
    this.#remLo.copyTo(next.#remLo, from, from + added, this.#size - from);
    return next;
  }

  /**
   * {@link PackedKeys.insert} within the arrays' room: from the last added key down, the kept
   * keys above its place move up by the number of added keys up to it (so nothing is
   * overwritten before it is moved), then the directory shifts as in a copying insert.
   */
  #insertInPlace(addHi: Uint32Array, addLo: Uint32Array): void {
    const added = addHi.length;
    // Keys at `end` and above are in their new places; below it, in their old ones.
    let end = this.#size;
    for (let k = added - 1; k >= 0; k--) {
      const hi = addHi[k] as number;
      const lo = addLo[k] as number;
      const rh = this.#restHi(hi);
      const rl = this.#restLo(lo);
      const at = this.#lowerBound(this.#bucket(hi, lo), rh, rl, end);
      this.#remHi.moveUp(at, end, k + 1);
      this.#remLo.moveUp(at, end, k + 1);
      this.#remHi.set(at + k, rh);
      this.#remLo.set(at + k, rl);
      end = at;
    }
    const dir = this.#dir;
    let bucket = 0;
    for (let k = 0; k < added; k++) {
      const b = this.#bucket(addHi[k] as number, addLo[k] as number);
      for (; bucket <= b; bucket++) dir[bucket] = (dir[bucket] as number) + k;
    }
    for (; bucket < dir.length; bucket++) dir[bucket] = (dir[bucket] as number) + added;
    this.#size += added;
  }

  /** Index of the first key of bucket `b` not below `(rh, rl)`, searching below `limit`. */
  #lowerBound(b: number, rh: number, rl: number, limit = this.#size): number {
    let from = this.#dir[b] as number;
    let to = Math.min(this.#dir[b + 1] as number, limit);
    while (from < to) {
      const mid = (from + to) >>> 1;
      const h = this.#remHi.get(mid);
      if (h < rh || (h === rh && this.#remLo.get(mid) < rl)) from = mid + 1;
      else to = mid;
    }
    return from;
  }

  /** Whether the key `(hi, lo)` is stored. */
  has(hi: number, lo: number): boolean {
    const b = this.#bucket(hi, lo);
    const rh = this.#restHi(hi);
    const rl = this.#restLo(lo);
    let from = this.#dir[b] as number;
    let to = this.#dir[b + 1] as number;
    while (from < to) {
      const mid = (from + to) >>> 1;
      const h = this.#remHi.get(mid);
      const l = this.#remLo.get(mid);
      if (h === rh && l === rl) return true;
      if (h < rh || (h === rh && l < rl)) from = mid + 1;
      else to = mid;
    }
    return false;
  }

  /** A reader of the keys in ascending order: each call writes the next one into `out`, as {@link PackedKeys.build} takes them. */
  reader(): (out: Uint32Array) => void {
    const dir = this.#dir;
    const extra = this.#q - this.#hiBits;
    const readHi = this.#remHi.reader();
    const readLo = this.#remLo.reader();
    let i = 0;
    let bucket = 0;
    return (out) => {
      while ((dir[bucket + 1] as number) <= i) bucket++;
      const rh = readHi();
      const rl = readLo();
      if (extra <= 0) {
        out[0] = bucket * 2 ** -extra + rh;
        out[1] = rl;
      } else {
        out[0] = bucket >>> extra;
        out[1] = (bucket << (32 - extra)) | rl;
      }
      i++;
    };
  }

  /** Bytes held by the typed arrays (for benchmarks and sizing). */
  get byteLength(): number {
    return this.#dir.byteLength + this.#remHi.byteLength + this.#remLo.byteLength;
  }

  #bucket(hi: number, lo: number): number {
    const extra = this.#q - this.#hiBits;
    if (extra <= 0) return hi >>> -extra;
    return ((hi << extra) | (lo >>> (32 - extra))) >>> 0;
  }

  #restHi(hi: number): number {
    const bits = this.#hiBits - this.#q;
    return bits > 0 ? hi & ((1 << bits) - 1) : 0;
  }

  #restLo(lo: number): number {
    const extra = this.#q - this.#hiBits;
    return extra > 0 ? (lo << extra) >>> extra : lo;
  }
}

/** Bucket bits for `size` keys: ~16-32 keys a bucket, a short search, and a directory of at most 1/4 byte a key. */
function bucketBits(hiBits: number, size: number): number {
  return Math.min(hiBits + 31, 26, Math.max(0, Math.floor(Math.log2(Math.max(1, size) / 16))));
}

/**
 * Room for `size` keys and 1/8 more, but no more than the bucket bits for `size` allow
 * (past that, a rebuild with other bucket bits makes new arrays anyway): inserts fill the
 * room in place, and the arrays grow ~6 times per doubling of the keys (against a new set per merge, 16 per doubling).
 */
export function capacityFor(hiBits: number, size: number): number {
  const q = bucketBits(hiBits, size);
  let limit = size;
  // The largest size with the same bucket bits (bucketBits is monotonic in size).
  if (bucketBits(hiBits, 2 ** (q + 5) - 1) === q) limit = 2 ** (q + 5) - 1;
  return Math.max(size, Math.min(Math.ceil(size * 1.125), limit));
}

/** `length` unsigned integers of `width` bits (0 to 32) packed into 32-bit words. */
class BitArray {
  readonly #width: number;
  readonly #mask: number;
  readonly #words: Uint32Array;

  constructor(length: number, width: number) {
    // 2^32 bits is 512 MB for one shard's keys: far beyond a table's, but never silently wrong.
    if (length * width >= 2 ** 32) throw new RangeError(`too many keys for one shard: ${length}`);
    this.#width = width;
    this.#mask = width === 32 ? 0xffffffff : (1 << width) - 1;
    // One spare word: `get` may read the word after the last value's.
    this.#words = new Uint32Array(Math.ceil((length * width) / 32) + 1);
  }

  get byteLength(): number {
    return this.#words.byteLength;
  }

  get(i: number): number {
    const w = this.#width;
    if (w === 0) return 0;
    // Below 2^32 (checked when made), so integer shifts can split it.
    const bit = i * w;
    const at = bit >>> 5;
    const off = bit & 31;
    let v = (this.#words[at] as number) >>> off;
    if (off + w > 32) v |= (this.#words[at + 1] as number) << (32 - off);
    return (v & this.#mask) >>> 0;
  }

  /** Set value `i`, whose bits must still be 0 (values are written once). */
  put(i: number, value: number): void {
    const w = this.#width;
    if (w === 0) return;
    const bit = i * w;
    const at = bit >>> 5;
    const off = bit & 31;
    this.#words[at] = (this.#words[at] as number) | (value << off);
    if (off + w > 32) this.#words[at + 1] = (this.#words[at + 1] as number) | (value >>> (32 - off));
  }

  /** Set value `i`, whatever its bits held. */
  set(i: number, value: number): void {
    const w = this.#width;
    if (w === 0) return;
    const bit = i * w;
    const at = bit >>> 5;
    const off = bit & 31;
    const words = this.#words;
    words[at] = ((words[at] as number) & ~(this.#mask << off)) | (value << off);
    if (off + w > 32) {
      const spill = off + w - 32;
      words[at + 1] = ((words[at + 1] as number) & ~((1 << spill) - 1)) | (value >>> (32 - off));
    }
  }

  /** Move values [from, end) up by `by` places (the ranges may overlap), from the top down. */
  moveUp(from: number, end: number, by: number): void {
    if (this.#width === 0 || end <= from) return;
    // 32-bit values are whole words: copyWithin is a memmove.
    if (this.#width === 32) {
      this.#words.copyWithin(from + by, from, end);
      return;
    }
    for (let j = end - 1; j >= from; j--) this.set(j + by, this.get(j));
  }

  /** Copy values [from, from + count) to [to, to + count) of `target` (same width, bits still 0 there). */
  copyTo(target: BitArray, from: number, to: number, count: number): void {
    const w = this.#width;
    if (w === 0 || count === 0) return;
    const src = this.#words;
    const dst = target.#words;
    // 32-bit values are whole words: a memmove.
    if (w === 32) {
      dst.set(src.subarray(from, from + count), to);
      return;
    }
    let s = from * w;
    let d = to * w;
    let n = count * w;
    while (n > 0) {
      const so = s & 31;
      const dof = d & 31;
      const k = Math.min(n, 32 - so, 32 - dof);
      const bits = ((src[s >>> 5] as number) >>> so) & (k === 32 ? 0xffffffff : (1 << k) - 1);
      dst[d >>> 5] = (dst[d >>> 5] as number) | (bits << dof);
      s += k;
      d += k;
      n -= k;
    }
  }

  /** A writer of values 0, 1, 2, ... in turn (each written once, when built): integer cursors, no division. */
  writer(): (value: number) => void {
    const w = this.#width;
    const words = this.#words;
    let at = 0;
    let off = 0;
    return (value) => {
      if (w === 0) return;
      words[at] = (words[at] as number) | (value << off);
      off += w;
      if (off >= 32) {
        off -= 32;
        at++;
        if (off > 0) words[at] = value >>> (w - off);
      }
    };
  }

  /** A reader of values 0, 1, 2, ... in turn (the merge's sequential pass). */
  reader(): () => number {
    const w = this.#width;
    const mask = this.#mask;
    const words = this.#words;
    let at = 0;
    let off = 0;
    return () => {
      if (w === 0) return 0;
      let v = (words[at] as number) >>> off;
      off += w;
      if (off >= 32) {
        off -= 32;
        at++;
        if (off > 0) v |= (words[at] as number) << (w - off);
      }
      return (v & mask) >>> 0;
    };
  }
}
