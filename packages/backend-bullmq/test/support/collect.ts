import type { MapOutcome } from "@themis/core";

/** Every outcome of a map, sorted by input index. */
export async function collect<T>(iterable: AsyncIterable<MapOutcome<T>>): Promise<MapOutcome<T>[]> {
  const out: MapOutcome<T>[] = [];
  for await (const o of iterable) out.push(o);
  return out.sort((a, b) => a.index - b.index);
}

/** Poll `condition` every 50 ms until it holds (fails after `ms`, default 60 s). */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
