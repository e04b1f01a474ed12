import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, type StoredRow } from "@themis/core";
import { IdSet, type RowChange, planChanges, retryTransient } from "@themis/core/backend";

describe("retryTransient", () => {
  const fast = { minDelayMs: 1, maxDelayMs: 2 };
  it("retries retryable failures and returns the first success", async () => {
    const attempts: number[] = [];
    const value = await retryTransient(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 3) throw new ConflictError("lost the race");
      return "ok";
    }, fast);
    expect(value).toBe("ok");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("throws a non-retryable failure at once, unchanged", async () => {
    let calls = 0;
    const error = new NotFoundError("gone");
    await expect(
      retryTransient(async () => {
        calls++;
        throw error;
      }, fast),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it("gives up after `retries` with the last failure; a socket error counts as retryable", async () => {
    let calls = 0;
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw reset;
        },
        { ...fast, retries: 2 },
      ),
    ).rejects.toBe(reset);
    expect(calls).toBe(3);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    const run = retryTransient(
      async () => {
        controller.abort(new Error("closing"));
        throw new ConflictError("x");
      },
      { ...fast, retries: 10, signal: controller.signal },
    );
    await expect(run).rejects.toThrow("closing");
  });
});

const row = (id: string, n = 0): StoredRow => ({ _row_id: id, n });

describe("planChanges", () => {
  const stored = { has: (id: string) => ["a", "b"].includes(id) };
  const options = { backend: "b", label: 'dataset "d"' };

  it("refuses an append with a taken or repeated id whole, and nothing else", async () => {
    const batch: RowChange[] = [
      { kind: "append", rows: [row("c"), row("a")] },
      { kind: "append", rows: [row("d"), row("d")] },
      { kind: "append", rows: [row("e")] },
    ];
    const plan = await planChanges(batch, stored, options);
    expect(plan.accepted).toEqual([batch[2]]);
    expect(plan.rejected.get(batch[0] as RowChange)).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    expect(plan.rejected.get(batch[1] as RowChange)).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
  });

  it("sees the batch's own earlier changes: delete then update is NotFound, append then update applies", async () => {
    const batch: RowChange[] = [
      { kind: "delete", id: "a" },
      { kind: "update", row: row("a", 1) },
      { kind: "append", rows: [row("z")] },
      { kind: "update", row: row("z", 2) },
      { kind: "delete", id: "nope" },
      { kind: "append", rows: [row("a")] },
    ];
    const plan = await planChanges(batch, stored, options);
    expect(plan.accepted).toEqual([batch[0], batch[2], batch[3], batch[5]]);
    expect([...plan.rejected.values()].map((e) => e.code)).toEqual(["ERR_THEMIS_NOT_FOUND", "ERR_THEMIS_NOT_FOUND"]);
  });

  it("confirms IdSet's 'maybe' answers with one exact lookup for the batch", async () => {
    const ids = new IdSet();
    ids.add("a");
    const asked: string[][] = [];
    const confirm = async (maybe: readonly string[]) => {
      asked.push([...maybe]);
      return new Set<string>(); // a fingerprint collision: not really stored
    };
    const plan = await planChanges([{ kind: "append", rows: [row("a"), row("new")] }], ids, { ...options, confirm });
    expect(asked).toEqual([["a"]]);
    expect(plan.accepted).toHaveLength(1);
    const strict = await planChanges([{ kind: "append", rows: [row("a")] }], ids, options);
    expect(strict.accepted).toHaveLength(0);
  });

  it("trusts a 'maybe' of an update or delete when the batch's appends were confirmed", async () => {
    const ids = new IdSet();
    for (const id of ["a", "b", "c"]) ids.add(id);
    const confirm = async (maybe: readonly string[]) => new Set(maybe); // the appended id "a" is stored
    const batch: RowChange[] = [
      { kind: "append", rows: [row("a")] },
      { kind: "update", row: row("b", 1) },
      { kind: "delete", id: "c" },
    ];
    const plan = await planChanges(batch, ids, { ...options, confirm });
    expect(plan.accepted).toEqual([batch[1], batch[2]]);
    expect(plan.rejected.get(batch[0] as RowChange)).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
  });
});
