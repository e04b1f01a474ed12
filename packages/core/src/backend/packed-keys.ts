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
 * Built once from sorted keys ({@link PackedKeys.build}); changes go to a small table beside
 * it and are merged in batches (fingerprint-set.ts).
 */
export class PackedKeys {
  /** Keys stored. */
  readonly size: number;
  readonly #hiBits: number;
  /** Bucket bits: the top `q` bits of a key pick its bucket. */
  readonly #q: number;
  /** `#dir[b]` is the index of bucket b's first key; `#dir[2^q]` is `size`. */
  readonly #dir: Uint32Array;
  /** The rest of each key: its high part (`hiBits - q` bits, when q < hiBits) and low part. */
  readonly #remHi: BitArray;
  readonly #remLo: BitArray;

  private constructor(hiBits: number, size: number) {
    this.size = size;
    this.#hiBits = hiBits;
    // ~16-32 keys a bucket: a short search, and the directory costs at most 1/4 byte a key.
    this.#q = Math.min(hiBits + 31, 26, Math.max(0, Math.floor(Math.log2(Math.max(1, size) / 16))));
    this.#dir = new Uint32Array(2 ** this.#q + 1);
    const extra = this.#q - hiBits;
    this.#remHi = new BitArray(size, Math.max(0, -extra));
    this.#remLo = new BitArray(size, 32 - Math.max(0, extra));
  }

  /** An empty set of keys whose `hi` part has `hiBits` bits (0 to 26). */
  static empty(hiBits: number): PackedKeys {
    return new PackedKeys(hiBits, 0);
  }

  /**
   * Pack `size` keys given in ascending order (by `hi`, then `lo`) and without repeats, as
   * `next()` returns them: `next` writes the key into `out` (`out[0]` = hi, `out[1]` = lo).
   */
  static build(hiBits: number, size: number, next: (out: Uint32Array) => void): PackedKeys {
    const keys = new PackedKeys(hiBits, size);
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
   * so many keys need other bucket bits (then {@link PackedKeys.build} it is). The keys kept
   * move as runs of bits, a few word operations per key, where a rebuild decodes and encodes
   * each: merges are the main cost of adding keys.
   */
  insert(addHi: Uint32Array, addLo: Uint32Array): PackedKeys | undefined {
    const added = addHi.length;
    const next = new PackedKeys(this.#hiBits, this.size + added);
    if (next.#q !== this.#q) return undefined;
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
    this.#remHi.copyTo(next.#remHi, from, from + added, this.size - from);
    this.#remLo.copyTo(next.#remLo, from, from + added, this.size - from);
    return next;
  }

  /** Index of the first key of bucket `b` not below `(rh, rl)`. */
  #lowerBound(b: number, rh: number, rl: number): number {
    let from = this.#dir[b] as number;
    let to = this.#dir[b + 1] as number;
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
