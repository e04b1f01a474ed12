import { describe, expect, it } from "vitest";
import { mapOrdered } from "../src/bounded.js";

/** Runs mapOrdered over items of the given weights; records how many calls were running, and their weight, at most. */
async function run(weights: number[], window: number, budget?: number) {
  let running = 0;
  let held = 0;
  let peak = 0;
  let peakWeight = 0;
  const out: number[] = [];
  const work = async (i: number) => {
    running++;
    held += weights[i]!;
    peak = Math.max(peak, running);
    peakWeight = Math.max(peakWeight, held);
    await new Promise((resolve) => setTimeout(resolve, (7 * i) % 5));
    running--;
    held -= weights[i]!;
    return i;
  };
  const items = weights.map((_, i) => i);
  for await (const i of mapOrdered(items, { window, budget, weight: (i) => weights[i]! }, work)) {
    out.push(i);
  }
  return { out, peak, peakWeight };
}

describe("mapOrdered", () => {
  it("yields in input order with at most `window` calls in flight", async () => {
    const { out, peak } = await run(Array(20).fill(1), 4);
    expect(out).toEqual([...Array(20).keys()]);
    expect(peak).toBe(4);
  });

  it("keeps the weight of calls ahead within the budget", async () => {
    const { out, peakWeight, peak } = await run(Array(20).fill(3), 16, 10);
    expect(out).toEqual([...Array(20).keys()]);
    expect(peakWeight).toBeLessThanOrEqual(10);
    expect(peak).toBe(3);
  });

  it("still runs an item heavier than the whole budget, one at a time", async () => {
    const { out, peak } = await run([50, 50, 50], 16, 10);
    expect(out).toEqual([0, 1, 2]);
    expect(peak).toBe(1);
  });
});
