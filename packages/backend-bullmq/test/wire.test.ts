// Job ids and labels: what makes a restarted submitter find its jobs again.
import { describe, expect, it } from "vitest";
import { itemLabel, jobIdFor, type WireJob } from "../src/wire.ts";

const wire = (index: number, input: Record<string, unknown>, attempt = 1): WireJob => ({
  v: 1,
  job: { kind: "module", module: "/m.mjs", export: "f", input: input as never },
  codeHash: "ab".repeat(32),
  attempt,
  index,
  label: itemLabel(index, input),
  maxPayloadBytes: 1024,
  attempts: 1,
});

describe("job ids", () => {
  it("without a runKey: a new random id each time", () => {
    expect(jobIdFor(undefined, wire(0, { n: 1 }))).not.toBe(jobIdFor(undefined, wire(0, { n: 1 })));
  });

  it("with a runKey: the same item, attempt and content give the same id, anything else another", () => {
    const id = jobIdFor("run-1", wire(3, { n: 1 }));
    expect(id).toBe(jobIdFor("run-1", wire(3, { n: 1 })));
    expect(id).toMatch(/^run-1\.3\.1\.[0-9a-f]{16}$/);
    expect(jobIdFor("run-2", wire(3, { n: 1 }))).not.toBe(id);
    expect(jobIdFor("run-1", wire(4, { n: 1 }))).not.toBe(id);
    expect(jobIdFor("run-1", wire(3, { n: 1 }, 2))).not.toBe(id);
    expect(jobIdFor("run-1", wire(3, { n: 2 }))).not.toBe(id);
  });

  it("a row keeps its id when a resumed run gives it another index; odd row ids are hashed (no ':')", () => {
    const row = { _row_id: "r_17", n: 1 };
    expect(jobIdFor("run-1", wire(9, row))).toMatch(/^run-1\.row-r_17\.1\./);
    // Not the index: the content hash is the same, so only the item part could differ.
    expect(jobIdFor("run-1", wire(2, row))).toBe(jobIdFor("run-1", wire(9, row)));
    const odd = jobIdFor("run-1", wire(0, { _row_id: "a:b/c", n: 1 }));
    expect(odd).not.toContain(":");
    expect(odd).toMatch(/^run-1\.row-[0-9a-f]{16}\.1\./);
  });

  it("labels name the row when there is one", () => {
    expect(itemLabel(4, { _row_id: "r9" })).toBe("item 4 (row r9)");
    expect(itemLabel(4, [1, 2])).toBe("item 4");
    expect(itemLabel(4, null)).toBe("item 4");
  });
});
