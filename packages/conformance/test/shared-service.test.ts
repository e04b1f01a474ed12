import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { shareService } from "../src/index.js";

describe("shareService", () => {
  it("starts a service once for every caller of a key and stops it at the last release", async () => {
    const key = randomUUID();
    const events: string[] = [];
    const start = async () => {
      events.push("start");
      return { id: events.length };
    };
    const stop = async () => {
      events.push("stop");
    };
    const [a, b] = await Promise.all([shareService(key, start, stop), shareService(key, start, stop)]);
    expect(a.service).toBe(b.service);
    await a.release();
    await a.release(); // a second release of one lease counts once
    expect(events).toEqual(["start"]);
    await b.release();
    expect(events).toEqual(["start", "stop"]);
    // After the last release the next caller gets a new service.
    const c = await shareService(key, start, stop);
    expect(c.service).not.toBe(a.service);
    await c.release();
    expect(events).toEqual(["start", "stop", "start", "stop"]);
  });

  it("does not keep a start that failed: the next caller starts again", async () => {
    const key = randomUUID();
    let starts = 0;
    const start = async () => {
      starts += 1;
      if (starts === 1) throw new Error("port taken");
      return "up";
    };
    await expect(shareService(key, start, async () => undefined)).rejects.toThrow("port taken");
    const lease = await shareService(key, start, async () => undefined);
    expect(lease.service).toBe("up");
    expect(starts).toBe(2);
    await lease.release();
  });

  it("keeps services of different keys apart", async () => {
    const a = await shareService(
      randomUUID(),
      async () => ({ name: "a" }),
      async () => undefined,
    );
    const b = await shareService(
      randomUUID(),
      async () => ({ name: "b" }),
      async () => undefined,
    );
    expect(a.service).not.toBe(b.service);
    await Promise.all([a.release(), b.release()]);
  });
});
