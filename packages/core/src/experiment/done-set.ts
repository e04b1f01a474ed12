import { randomBytes } from "node:crypto";

/**
 * The dataset row ids an earlier run finished, for `resume`, as 64-bit fingerprints in two
 * flat typed arrays: 8 bytes per slot, the table doubling at 75% load, so 11-21 bytes per
 * row (134 MB at 10M rows) where a `Set` of id strings takes ~80-100 and stops at 2^24
 * entries.
 *
 * The price is a false "done" with probability `size / 2^64` per row not done (5e-13 at
 * 10M rows: one row in ~2e12 lookups is skipped when it should have run). The hash is
 * salted per instance, so a row skipped that way is looked at afresh by the next resume.
 */
export class DoneSet {
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
