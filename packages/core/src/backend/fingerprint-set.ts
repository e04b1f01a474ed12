import { PackedKeys } from "./packed-keys.js";
import { PairTable } from "./pair-table.js";

/**
 * Shards by a key's top 6 bits: a merge rewrites 1/64 of the set, so its transient copy is
 * small (0.6 MB at 10M ids), while the fixed cost of a shard's arrays stays small for small sets.
 */
const SHARD_BITS = 6;

/**
 * A set of uniformly spread keys of 38 to 64 bits (hashes), given as `(hi, lo)` pairs, in about
 * `width - log2(size) + 6` bits a key: ~4-5 bytes a key for 48-bit keys at 1M-10M keys, ~6-7
 * for 64-bit ones (`bench/id-set.bench.ts`; small sets pay the fixed cost of 64 shards).
 *
 * Each of 64 shards keeps its keys in {@link PackedKeys} (sorted, quotiented, bit-packed,
 * immutable) plus the changes since its last merge: a small {@link PairTable} of keys added and
 * one of keys deleted. When the changes reach 1/16 of the shard (at least 64), they are merged
 * into a new `PackedKeys`: the keys kept move as runs of bits ({@link PackedKeys.insert}), or,
 * once per doubling of the shard or after deletes, are decoded and packed again in one sorted
 * pass. The changes add up to ~0.7-1.3 byte a key just before a merge. Not a general-purpose
 * set: the keys must be hashes, or the buckets fill unevenly.
 */
export class FingerprintSet {
  readonly #hiBits: number;
  readonly #shards: (Shard | undefined)[] = new Array(2 ** SHARD_BITS).fill(undefined);
  #size = 0;

  /** @param hiBits bits of a key's `hi` part (6 to 32): a key has `hiBits + 32` bits. */
  constructor(hiBits: number) {
    if (!Number.isInteger(hiBits) || hiBits < SHARD_BITS || hiBits > 32)
      throw new RangeError(`hiBits must be an integer from ${SHARD_BITS} to 32, got ${hiBits}`);
    this.#hiBits = hiBits;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the shards' typed arrays. */
  get byteLength(): number {
    let bytes = 0;
    for (const shard of this.#shards) if (shard) bytes += shard.byteLength;
    return bytes;
  }

  has(hi: number, lo: number): boolean {
    const shift = this.#hiBits - SHARD_BITS;
    const shard = this.#shards[hi >>> shift];
    return shard?.has(localHi(hi, shift), lo) === true;
  }

  /** Add a key; false when it was already there. */
  add(hi: number, lo: number): boolean {
    const shift = this.#hiBits - SHARD_BITS;
    const at = hi >>> shift;
    let shard = this.#shards[at];
    if (shard === undefined) {
      shard = new Shard(shift);
      this.#shards[at] = shard;
    }
    const added = shard.add(localHi(hi, shift), lo);
    if (added) this.#size++;
    return added;
  }

  /** Remove a key; false when it was not there. */
  delete(hi: number, lo: number): boolean {
    const shift = this.#hiBits - SHARD_BITS;
    const shard = this.#shards[hi >>> shift];
    const deleted = shard?.delete(localHi(hi, shift), lo) === true;
    if (deleted) this.#size--;
    return deleted;
  }
}

/** The bits of `hi` below the shard's (`shift` is at most 26). */
function localHi(hi: number, shift: number): number {
  return hi & ((1 << shift) - 1);
}

/** One shard: packed keys, and the keys added to / deleted from them since the last merge. */
class Shard {
  readonly #hiBits: number;
  #packed: PackedKeys;
  /** Keys added since the last merge: never in `#packed`. */
  #added = new PairTable();
  /** Keys of `#packed` deleted since the last merge. */
  #deleted = new PairTable(2);

  constructor(hiBits: number) {
    this.#hiBits = hiBits;
    this.#packed = PackedKeys.empty(hiBits);
  }

  get byteLength(): number {
    return this.#packed.byteLength + this.#added.byteLength + this.#deleted.byteLength;
  }

  has(hi: number, lo: number): boolean {
    if (this.#added.has(hi, lo)) return true;
    return this.#packed.has(hi, lo) && (this.#deleted.size === 0 || !this.#deleted.has(hi, lo));
  }

  add(hi: number, lo: number): boolean {
    if (this.#packed.has(hi, lo)) return this.#deleted.size > 0 && this.#deleted.delete(hi, lo);
    if (!this.#added.add(hi, lo)) return false;
    this.#mergeWhenDue();
    return true;
  }

  delete(hi: number, lo: number): boolean {
    if (this.#added.delete(hi, lo)) return true;
    if (!this.#packed.has(hi, lo) || !this.#deleted.add(hi, lo)) return false;
    this.#mergeWhenDue();
    return true;
  }

  #mergeWhenDue(): void {
    if (this.#added.size + this.#deleted.size >= Math.max(64, this.#packed.size / 16)) this.#merge();
  }

  /** One sorted pass: the packed keys minus the deleted ones, merged with the added ones. */
  #merge(): void {
    const old = this.#packed;
    const [addHi, addLo] = this.#added.sorted();
    // Adds only, and the same bucket bits (all but ~1 merge in 16): the kept keys move as bits.
    const inserted = this.#deleted.size === 0 ? old.insert(addHi, addLo) : undefined;
    if (inserted) {
      this.#packed = inserted;
      this.#added = new PairTable();
      return;
    }
    const deleted = this.#deleted;
    const read = old.reader();
    const key = new Uint32Array(2);
    let left = old.size;
    let a = 0;
    // The next key of `old` not deleted, or none (`hasKey` false).
    let hasKey = false;
    const advance = (): void => {
      hasKey = false;
      while (left > 0) {
        read(key);
        left--;
        if (deleted.size === 0 || !deleted.has(key[0] as number, key[1] as number)) {
          hasKey = true;
          return;
        }
      }
    };
    advance();
    const size = old.size - deleted.size + addHi.length;
    this.#packed = PackedKeys.build(this.#hiBits, size, (out) => {
      const h = addHi[a];
      const takeAdded = h !== undefined && (!hasKey || h < (key[0] as number) || (h === key[0] && (addLo[a] as number) < (key[1] as number)));
      if (takeAdded) {
        out[0] = h;
        out[1] = addLo[a] as number;
        a++;
      } else {
        out[0] = key[0] as number;
        out[1] = key[1] as number;
        advance();
      }
    });
    this.#added = new PairTable();
    this.#deleted = new PairTable(2);
  }
}
