import { describe, expect, it } from "vitest";
import type { JsonValue } from "@themis/core";
import { MAX_SORT_ROWS, SortIndex } from "../src/sort-index.js";
import { ViewCache } from "../src/view-cache.js";
import { allowedHosts } from "../src/security.js";

const index = (values: (JsonValue | undefined)[]): SortIndex => {
  const idx = new SortIndex("v");
  for (const [i, v] of values.entries()) idx.add({ _row_id: `r${i}`, ...(v === undefined ? {} : { v }) });
  return idx;
};

describe("SortIndex", () => {
  it("orders numbers (booleans as 0/1) numerically, then text, then missing values", () => {
    const idx = index(["b", 10, undefined, 2, true, "a", null, { x: 1 }, -1.5, ""]);
    // Text compares by code unit: "a" < "b" < "{\"x\":1}" (objects sort as their JSON text).
    expect(idx.slice(0, 10, false)).toEqual(["r8", "r4", "r3", "r1", "r5", "r0", "r7", "r2", "r6", "r9"]);
  });

  it("reverses numbers and text when descending but keeps missing values last, and ties in table order", () => {
    const idx = index([1, undefined, 3, "z", 3, 1]);
    expect(idx.slice(0, 6, true)).toEqual(["r3", "r2", "r4", "r0", "r5", "r1"]);
    expect(idx.slice(1, 3, true)).toEqual(["r2", "r4"]);
    expect(idx.slice(5, 50, true)).toEqual(["r1"]);
  });

  it("refuses to grow past its bound with a clear error", () => {
    const idx = new SortIndex("v");
    const add = (i: number) => idx.add({ _row_id: String(i), v: i });
    for (let i = 0; i < MAX_SORT_ROWS; i++) add(i);
    expect(() => add(MAX_SORT_ROWS)).toThrow(expect.objectContaining({ status: 413, code: "ERR_SERVE_SORT_TOO_LARGE" }));
  });
});

describe("ViewCache", () => {
  it("forgets a view after its lifetime and the least recently used view beyond its size", () => {
    let now = 0;
    const cache = new ViewCache(1_000, 2, () => now);
    const facts = (total: number) => ({ total, columns: [] });
    cache.set("a", facts(1));
    cache.set("b", facts(2));
    expect(cache.get("a")?.total).toBe(1); // a is now the most recent
    cache.set("c", facts(3));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.total).toBe(1);
    now = 1_001;
    expect(cache.get("c")).toBeUndefined();
  });
});

describe("allowedHosts", () => {
  it("answers the loopback names and the bound host on our port, and the bare names on port 80", () => {
    expect([...allowedHosts("127.0.0.1", 4173)].sort()).toEqual(["127.0.0.1:4173", "[::1]:4173", "localhost:4173"]);
    expect(allowedHosts("::1", 5000).has("[::1]:5000")).toBe(true);
    expect(allowedHosts("0.0.0.0", 5000, ["MyBox"]).has("mybox:5000")).toBe(true);
    expect(allowedHosts("127.0.0.1", 4173).has("evil.example:4173")).toBe(false);
    expect(allowedHosts("127.0.0.1", 80).has("localhost")).toBe(true);
  });
});
