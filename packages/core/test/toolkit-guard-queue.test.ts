import { describe, expect, it } from "vitest";
import { ClosedGuard, GroupCommitQueue } from "@themis/core/backend";

describe("ClosedGuard", () => {
  it("is open until close, then every check throws ERR_THEMIS_CLOSED naming the backend", async () => {
    const guard = new ClosedGuard("my/backend", "the my/backend backend");
    expect(() => guard.assertOpen()).not.toThrow();
    expect(guard.closed).toBe(false);
    await guard.close();
    expect(guard.closed).toBe(true);
    expect(() => guard.assertOpen()).toThrow(expect.objectContaining({ code: "ERR_THEMIS_CLOSED", backend: "my/backend" }));
  });

  it("releases once however often close is called, and marks closed before the release ends", async () => {
    const guard = new ClosedGuard("b");
    let releases = 0;
    let finish = (): void => undefined;
    const first = guard.close(() => {
      releases++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const second = guard.close(() => {
      releases++;
    });
    expect(second).toBe(first);
    expect(() => guard.assertOpen()).toThrow(expect.objectContaining({ code: "ERR_THEMIS_CLOSED" }));
    await Promise.resolve();
    finish();
    await Promise.all([first, second]);
    expect(releases).toBe(1);
  });
});

describe("GroupCommitQueue", () => {
  it("writes the first item at once and groups what queues behind a write in flight", async () => {
    const groups: number[][] = [];
    const queue = new GroupCommitQueue<number>(async (items) => {
      groups.push([...items]);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await Promise.all([1, 2, 3, 4].map((n) => queue.enqueue(n)));
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it("rejects only the items the writer refuses alone, and every item of a failed group", async () => {
    const queue = new GroupCommitQueue<string>(async (items) => {
      if (items.includes("boom")) throw new Error("disk full");
      return items.map((item) => (item === "dup" ? new Error(`duplicate ${item}`) : undefined));
    });
    const blocker = queue.exclusive(() => new Promise((resolve) => setTimeout(resolve, 5)));
    const results = await Promise.allSettled([queue.enqueue("a"), queue.enqueue("dup"), queue.enqueue("b")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    void queue.exclusive(() => new Promise((resolve) => setTimeout(resolve, 5)));
    const failed = await Promise.allSettled([queue.enqueue("c"), queue.enqueue("boom")]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    await blocker;
  });

  it("keeps order with exclusive writes, caps groups at maxGroupSize, and settled() waits for all", async () => {
    const log: string[] = [];
    const queue = new GroupCommitQueue<number>(async (items) => void log.push(`group ${items.join(",")}`), { maxGroupSize: 2 });
    void queue.exclusive(async () => void log.push("first"));
    void queue.enqueue(1);
    void queue.enqueue(2);
    void queue.enqueue(3);
    void queue.exclusive(async () => void log.push("rewrite"));
    void queue.enqueue(4);
    await queue.settled();
    expect(log).toEqual(["first", "group 1,2", "group 3", "rewrite", "group 4"]);
    expect(() => new GroupCommitQueue(async () => undefined, { maxGroupSize: 0 })).toThrow(RangeError);
  });
});
