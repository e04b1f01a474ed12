import { randomBytes } from "node:crypto";
import { FingerprintSet } from "../backend/fingerprint-set.js";

/**
 * The dataset row ids an earlier run finished, for `resume`, as 64-bit fingerprints packed in
 * about 6 to 7 bytes per row from 1M rows on (60 MB at 10M rows, where a hash table of them took 11-21
 * bytes and a `Set` of id strings ~80-100, stopping at 2^24 entries). The layout is
 * described in backend/fingerprint-set.ts; `bench/id-set.bench.ts` measures it.
 *
 * The price is a false "done" with probability `size / 2^64` per row not done (5e-13 at
 * 10M rows: one row in ~2e12 lookups is skipped when it should have run). The hash is
 * salted per instance, so a row skipped that way is looked at afresh by the next resume.
 */
export class DoneSet {
  readonly #fingerprints = new FingerprintSet(32);
  readonly #seedA: number;
  readonly #seedB: number;

  constructor() {
    const salt = randomBytes(8);
    this.#seedA = salt.readUInt32LE(0);
    this.#seedB = salt.readUInt32LE(4);
  }

  get size(): number {
    return this.#fingerprints.size;
  }

  /** Bytes held by the fingerprints' typed arrays, for sizing. */
  get byteLength(): number {
    return this.#fingerprints.byteLength;
  }

  has(id: string): boolean {
    const [a, b] = this.#hash(id);
    return this.#fingerprints.has(b, a);
  }

  add(id: string): void {
    const [a, b] = this.#hash(id);
    this.#fingerprints.add(b, a);
  }

  /** Two 32-bit FNV-1a hashes (different seeds) with murmur3's finalizer. */
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
    return [a, b];
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
