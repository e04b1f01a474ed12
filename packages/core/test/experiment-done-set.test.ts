import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DoneSet } from "../dist/experiment/done-set.js";

describe("DoneSet (a resumed run's done rows, as 64-bit fingerprints)", () => {
  it("answers exactly for ids added and never added, through many growths", () => {
    const done = new DoneSet();
    const n = 200_000;
    for (let i = 0; i < n; i += 2) done.add(`row-${i}`);
    done.add("row-0"); // twice: counted once
    expect(done.size).toBe(n / 2);
    let missing = 0;
    let extra = 0;
    for (let i = 0; i < n; i++) {
      const has = done.has(`row-${i}`);
      if (i % 2 === 0 && !has) missing++;
      if (i % 2 === 1 && has) extra++;
    }
    // No false "not done" ever; a false "done" has probability ~1e5 / 2^64 per lookup here.
    expect({ missing, extra }).toEqual({ missing: 0, extra: 0 });
    expect(done.has("")).toBe(false);
  });

  it("answers as a Set over random add/has sequences, and packs a row in under 7 bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: 0, max: 50 }).map(String), fc.string())), { maxLength: 3_000 }), (ops) => {
        const done = new DoneSet();
        const model = new Set<string>();
        for (const [add, id] of ops) {
          if (add) done.add(id);
          if (add) model.add(id);
          expect(done.has(id)).toBe(model.has(id));
        }
        expect(done.size).toBe(model.size);
      }),
      { numRuns: 100 },
    );
    const done = new DoneSet();
    for (let i = 0; i < 200_000; i++) done.add(`row-${i}`);
    expect(done.byteLength / done.size).toBeLessThan(7);
  });
});
