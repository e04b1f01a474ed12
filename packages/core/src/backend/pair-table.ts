/**
 * A small growable hash set of `(hi, lo)` key pairs (hi < 2^31, lo < 2^32): open addressing
 * with linear probing and backward-shift deletion (no tombstones, so deletes never slow
 * lookups down). The recent changes of a {@link FingerprintSet} shard live here until they are
 * merged into its packed keys.
 */
export class PairTable {
  /** `hi + 1` of each slot's key (0: an empty slot), and its `lo`. */
  #hi: Uint32Array;
  #lo: Uint32Array;
  #size = 0;

  constructor(capacity = 16) {
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get byteLength(): number {
    return this.#hi.byteLength + this.#lo.byteLength;
  }

  has(hi: number, lo: number): boolean {
    return this.#find(hi + 1, lo) >= 0;
  }

  /** Add a key; false when it was already there. */
  add(hi: number, lo: number): boolean {
    if (this.#find(hi + 1, lo) >= 0) return false;
    if ((this.#size + 1) * 4 > this.#hi.length * 3) this.#grow();
    this.#place(hi + 1, lo);
    this.#size++;
    return true;
  }

  /** Remove a key; false when it was not there. */
  delete(hi: number, lo: number): boolean {
    let i = this.#find(hi + 1, lo);
    if (i < 0) return false;
    const mask = this.#hi.length - 1;
    // Backward shift: move later keys of the probe run into the hole when their home slot
    // is not cyclically in (hole, slot], so every key stays reachable from its home slot.
    for (let j = (i + 1) & mask; this.#hi[j] !== 0; j = (j + 1) & mask) {
      const home = slot(this.#hi[j] as number, this.#lo[j] as number, mask);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.#hi[i] = this.#hi[j] as number;
      this.#lo[i] = this.#lo[j] as number;
      i = j;
    }
    this.#hi[i] = 0;
    this.#lo[i] = 0;
    this.#size--;
    return true;
  }

  /** The keys, sorted by `hi` then `lo`, as `[hi, lo]` columns. */
  sorted(): [Uint32Array, Uint32Array] {
    // Each key as one little-endian 64-bit word (lo, then hi): the typed array's native
    // numeric sort orders them with no comparator call and no BigInt made per key.
    const words = new Uint32Array(this.#size * 2);
    let n = 0;
    for (let i = 0; i < this.#hi.length; i++) {
      if (this.#hi[i] === 0) continue;
      words[n * 2] = this.#lo[i] as number;
      words[n * 2 + 1] = (this.#hi[i] as number) - 1;
      n++;
    }
    if (LITTLE_ENDIAN) new BigUint64Array(words.buffer).sort();
    else sortPairs(words);
    const outHi = new Uint32Array(n);
    const outLo = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      outLo[k] = words[k * 2] as number;
      outHi[k] = words[k * 2 + 1] as number;
    }
    return [outHi, outLo];
  }

  #find(h: number, lo: number): number {
    const mask = this.#hi.length - 1;
    for (let i = slot(h, lo, mask); ; i = (i + 1) & mask) {
      const at = this.#hi[i] as number;
      if (at === 0) return -1;
      if (at === h && this.#lo[i] === lo) return i;
    }
  }

  #place(h: number, lo: number): void {
    const mask = this.#hi.length - 1;
    let i = slot(h, lo, mask);
    while (this.#hi[i] !== 0) i = (i + 1) & mask;
    this.#hi[i] = h;
    this.#lo[i] = lo;
  }

  #grow(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    this.#hi = new Uint32Array(hi.length * 2);
    this.#lo = new Uint32Array(lo.length * 2);
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0) this.#place(hi[i] as number, lo[i] as number);
  }
}

/** Home slot of a key (its `lo` is already a hash; `hi` is mixed in for keys sharing it). */
function slot(h: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(h, 0x9e3779b1)) & mask;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The portable sort of (lo, hi) word pairs, for big-endian machines. */
function sortPairs(words: Uint32Array): void {
  const n = words.length / 2;
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => (words[a * 2 + 1] as number) - (words[b * 2 + 1] as number) || (words[a * 2] as number) - (words[b * 2] as number),
  );
  const copy = words.slice();
  order.forEach((from, to) => {
    words[to * 2] = copy[from * 2] as number;
    words[to * 2 + 1] = copy[from * 2 + 1] as number;
  });
}
