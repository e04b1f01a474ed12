// The packed key set under IdSet and DoneSet (pure logic, no server): checked against a plain
// Set over random add/has/delete sequences, with key spaces small enough to repeat keys.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FingerprintSet } from "../src/backend/fingerprint-set.js";
import { PackedKeys } from "../src/backend/packed-keys.js";
import { PairTable } from "../src/backend/pair-table.js";

type Op = { kind: "add" | "delete" | "has"; hi: number; lo: number };

/** Keys drawn from a small pool (so they repeat) or anywhere, including the extremes. */
function keyArb(hiBits: number): fc.Arbitrary<{ hi: number; lo: number }> {
  const maxHi = 2 ** hiBits - 1;
  const pooled = fc.record({ hi: fc.constantFrom(0, 1, maxHi >>> 1, maxHi), lo: fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff) });
  const wide = fc.record({ hi: fc.integer({ min: 0, max: maxHi }), lo: fc.integer({ min: 0, max: 0xffffffff }) });
  const sameShard = fc.record({ hi: fc.integer({ min: 0, max: 3 }), lo: fc.integer({ min: 0, max: 0xffffffff }) });
  return fc.oneof(pooled, wide, sameShard);
}

function opsArb(hiBits: number): fc.Arbitrary<Op[]> {
  const op = fc.tuple(fc.constantFrom<Op["kind"]>("add", "add", "add", "delete", "has"), keyArb(hiBits)).map(([kind, key]) => ({ kind, ...key }));
  return fc.array(op, { maxLength: 2_000 });
}

describe("FingerprintSet", () => {
  for (const hiBits of [8, 16, 32]) {
    it(`behaves as a Set of ${hiBits + 32}-bit keys through add/has/delete and merges`, () => {
      fc.assert(
        fc.property(opsArb(hiBits), (ops) => {
          const set = new FingerprintSet(hiBits);
          const model = new Set<string>();
          for (const { kind, hi, lo } of ops) {
            const name = `${hi}:${lo}`;
            if (kind === "add") expect(set.add(hi, lo)).toBe(!model.has(name));
            if (kind === "add") model.add(name);
            if (kind === "delete") expect(set.delete(hi, lo)).toBe(model.delete(name));
            if (kind === "has") expect(set.has(hi, lo)).toBe(model.has(name));
            expect(set.size).toBe(model.size);
          }
          for (const name of model) {
            const [hi, lo] = name.split(":").map(Number) as [number, number];
            expect(set.has(hi, lo)).toBe(true);
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it("keeps every key through many merges of one shard, and deletes half of them", () => {
    const set = new FingerprintSet(8);
    const n = 50_000;
    // Keys of shard 0 only (hi = 0): the shard merges ~40 times and its buckets use bits of `lo`.
    const lo = (i: number) => Math.imul(i + 1, 0x9e3779b1) >>> 0;
    for (let i = 0; i < n; i++) set.add(0, lo(i));
    expect(set.size).toBe(n);
    for (let i = 0; i < n; i += 2) expect(set.delete(0, lo(i))).toBe(true);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (set.has(0, lo(i)) !== (i % 2 === 1)) wrong++;
    expect({ wrong, size: set.size }).toEqual({ wrong: 0, size: n / 2 });
  });

  it("refuses a key width it cannot shard", () => {
    expect(() => new FingerprintSet(4)).toThrow(RangeError);
    expect(() => new FingerprintSet(40)).toThrow(RangeError);
  });
});

describe("PackedKeys", () => {
  for (const hiBits of [0, 8, 24]) {
    it(`finds exactly the keys it was built from (hi of ${hiBits} bits), and reads them back in order`, () => {
      const keys = new Map<string, [number, number]>();
      for (let i = 0; keys.size < 30_000; i++) {
        const hi = hiBits === 0 ? 0 : Math.imul(i, 0x85ebca6b) >>> (32 - hiBits);
        const lo = Math.imul(i ^ 0x5bd1e995, 0xc2b2ae35) >>> 0;
        keys.set(`${hi}:${lo}`, [hi, lo]);
      }
      const sorted = [...keys.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let i = 0;
      const packed = PackedKeys.build(hiBits, sorted.length, (out) => {
        out.set(sorted[i++] as [number, number]);
      });
      for (const [hi, lo] of sorted) expect(packed.has(hi, lo)).toBe(true);
      let absent = 0;
      for (const [hi, lo] of sorted) if (packed.has(hi, (lo + 1) >>> 0) && !keys.has(`${hi}:${(lo + 1) >>> 0}`)) absent++;
      expect(absent).toBe(0);
      const read = packed.reader();
      const out = new Uint32Array(2);
      for (const [hi, lo] of sorted) {
        read(out);
        expect([out[0], out[1]]).toEqual([hi, lo]);
      }
      // Quotienting: far fewer bytes than the 8 a key of a plain table.
      expect(packed.byteLength / sorted.length).toBeLessThan(hiBits + 32 > 40 ? 6.5 : 5);
    });
  }
});

describe("PackedKeys.insert (a merge that moves runs of bits)", () => {
  for (const hiBits of [0, 10, 26]) {
    it(`equals a rebuild from all the keys (hi of ${hiBits} bits), at every bit alignment`, () => {
      let inserted = 0;
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 2 ** hiBits - 1 }), fc.integer({ min: 0, max: 0xffffffff })), {
            minLength: 1,
            maxLength: 600,
            selector: ([h, l]) => `${h}:${l}`,
          }),
          fc.integer({ min: 1, max: 99 }),
          (pairs, percent) => {
            const sorted = [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
            // A share of the keys is packed first, the rest inserted.
            const first = sorted.filter((_, k) => (k * 37) % 100 >= percent);
            const rest = sorted.filter((_, k) => (k * 37) % 100 < percent);
            let i = 0;
            const base = PackedKeys.build(hiBits, first.length, (out) => out.set(first[i++] as [number, number]));
            const merged = base.insert(
              Uint32Array.from(rest, (p) => p[0]),
              Uint32Array.from(rest, (p) => p[1]),
            );
            if (merged === undefined) return; // other bucket bits: the caller rebuilds instead
            inserted++;
            const read = merged.reader();
            const out = new Uint32Array(2);
            for (const [hi, lo] of sorted) {
              read(out);
              expect([out[0], out[1]]).toEqual([hi, lo]);
              expect(merged.has(hi, lo)).toBe(true);
            }
            expect(merged.size).toBe(sorted.length);
          },
        ),
        { numRuns: 150 },
      );
      expect(inserted).toBeGreaterThan(20);
    });
  }
});

describe("PairTable", () => {
  it("keeps every key reachable through deletes (backward shift) and growth", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), { maxLength: 1_000 }), (ops) => {
        const table = new PairTable(4);
        const model = new Set<string>();
        for (const [add, hi, lo] of ops) {
          const name = `${hi}:${lo}`;
          expect(add ? table.add(hi, lo) : table.delete(hi, lo)).toBe(add ? !model.has(name) : model.has(name));
          if (add) model.add(name);
          else model.delete(name);
        }
        for (let hi = 0; hi <= 3; hi++) for (let lo = 0; lo <= 40; lo++) expect(table.has(hi, lo)).toBe(model.has(`${hi}:${lo}`));
        const [his, los] = table.sorted();
        const names = Array.from(his, (h, k) => `${h}:${los[k]}`);
        expect(names).toEqual(
          [...model].sort((a, b) => {
            const [ah, al] = a.split(":").map(Number) as [number, number];
            const [bh, bl] = b.split(":").map(Number) as [number, number];
            return ah - bh || al - bl;
          }),
        );
      }),
    );
  });
});
