import { FingerprintSet } from "./fingerprint-set.js";

/**
 * The ids of a table as 48-bit fingerprints, packed: about 4 to 5 bytes per id from 1M ids on
 * (41 MB at 10M ids, where a hash table of fingerprints took 6 to 11 and a JS Set of id strings ~80), so
 * that a writer can check appends for duplicate ids without holding the rows. The layout
 * (sorted, quotiented, bit-packed blocks and a small table of recent changes merged in
 * batches) is described in fingerprint-set.ts; `bench/id-set.bench.ts` measures it.
 *
 * `has` answers "no" exactly and "maybe" otherwise: two ids share a fingerprint with
 * probability 2^-48, so a "maybe" for an id never stored comes with probability
 * `size / 2^48` per lookup (4e-10 at 100k ids, 4e-8 at 10M) and the caller confirms it against
 * its store (an exact check: s3 reads the segments, local/csv the file). Fingerprints stored
 * more than once (such collisions) are counted, so removing one id never hides another.
 */
export class IdSet {
  readonly #fingerprints = new FingerprintSet(16);
  /** Fingerprints stored more than once: their count. Almost always empty. */
  readonly #extra = new Map<number, number>();
  #size = 0;

  /** Number of ids stored. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the fingerprints' typed arrays (not counting the few collisions), for sizing. */
  get byteLength(): number {
    return this.#fingerprints.byteLength;
  }

  /** "no" when `id` is certainly absent, "maybe" when its fingerprint is stored. */
  has(id: string): "no" | "maybe" {
    const fp = fingerprint(id);
    return this.#fingerprints.has(high(fp), fp >>> 0) ? "maybe" : "no";
  }

  add(id: string): void {
    const fp = fingerprint(id);
    if (!this.#fingerprints.add(high(fp), fp >>> 0)) this.#extra.set(fp, (this.#extra.get(fp) ?? 1) + 1);
    this.#size++;
  }

  /** Remove one id (a no-op when its fingerprint is absent). */
  delete(id: string): void {
    const fp = fingerprint(id);
    const count = this.#extra.get(fp);
    if (count !== undefined) {
      if (count > 2) this.#extra.set(fp, count - 1);
      else this.#extra.delete(fp);
      this.#size--;
      return;
    }
    if (this.#fingerprints.delete(high(fp), fp >>> 0)) this.#size--;
  }
}

/** The top 16 bits of a 48-bit fingerprint. */
function high(fp: number): number {
  return Math.floor(fp / 2 ** 32);
}

/**
 * A 48-bit fingerprint of a string (two 32-bit FNV-1a hashes with murmur3's finalizer),
 * never 0 nor 2^48 - 1 (values kept out since the first release, so fingerprints stay the same).
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
