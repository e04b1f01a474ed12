// The id fingerprints a writer keeps above its row cache (pure logic, no server).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IdSet, fingerprint } from "../src/backend/id-set.js";

describe("IdSet", () => {
  it("answers no for absent ids and maybe for stored ones, through growth and deletes", () => {
    const set = new IdSet();
    const ids = Array.from({ length: 20_000 }, (_, i) => `row-${i}`);
    for (const id of ids) set.add(id);
    expect(set.size).toBe(20_000);
    for (const id of ids) expect(set.has(id)).toBe("maybe");
    for (let i = 0; i < 20_000; i++) expect(set.has(`other-${i}`)).toBe("no");
    // Delete every other id: a deleted id's tombstone never hides the ids probed past it.
    for (let i = 0; i < ids.length; i += 2) set.delete(ids[i]!);
    expect(set.size).toBe(10_000);
    for (let i = 0; i < ids.length; i++) expect(set.has(ids[i]!)).toBe(i % 2 === 0 ? "no" : "maybe");
    // Re-adding after deletes (tombstones dropped by a rehash) keeps every answer.
    for (let i = 0; i < ids.length; i += 2) set.add(ids[i]!);
    for (const id of ids) expect(set.has(id)).toBe("maybe");
  });

  it("counts an id added twice, so one delete keeps it (as fingerprints colliding would)", () => {
    const set = new IdSet();
    set.add("a");
    set.add("a");
    set.delete("a");
    expect(set.has("a")).toBe("maybe");
    set.delete("a");
    expect(set.has("a")).toBe("no");
    expect(set.size).toBe(0);
  });

  it("answers as a counting Set of ids over random add/has/delete sequences", () => {
    const op = fc.tuple(
      fc.constantFrom("add", "add", "delete", "has"),
      fc.oneof(
        fc.integer({ min: 0, max: 30 }).map((i) => `id-${i}`),
        fc.string(),
      ),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3_000 }), (ops) => {
        const set = new IdSet();
        const model = new Map<string, number>();
        for (const [kind, id] of ops) {
          const count = model.get(id) ?? 0;
          if (kind === "add") model.set(id, count + 1);
          if (kind === "delete" && count > 0) model.set(id, count - 1);
          if (kind === "add") set.add(id);
          if (kind === "delete") set.delete(id);
          expect(set.has(id)).toBe((model.get(id) ?? 0) > 0 ? "maybe" : "no");
        }
        expect(set.size).toBe([...model.values()].reduce((a, c) => a + c, 0));
        for (const [id, count] of model) expect(set.has(id)).toBe(count > 0 ? "maybe" : "no");
      }),
      { numRuns: 100 },
    );
  });

  it("holds under 5 bytes an id at 200k ids (packed fingerprints)", () => {
    const set = new IdSet();
    for (let i = 0; i < 200_000; i++) set.add(`row-${i}`);
    expect(set.size).toBe(200_000);
    expect(set.byteLength / set.size).toBeLessThan(5);
    for (let i = 0; i < 200_000; i += 97) expect(set.has(`row-${i}`)).toBe("maybe");
  });

  it("fingerprints are 48-bit, never 0, and differ for close ids", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const fp = fingerprint(`id-${i}`);
      expect(Number.isInteger(fp) && fp > 0 && fp < 2 ** 48).toBe(true);
      seen.add(fp);
    }
    expect(seen.size).toBe(100_000);
  });
});
