import type { Row } from "@themis/core";

/** Rows whose values a text-based store easily gets wrong; each must read back exactly. */
export const TRICKY_ROWS: Row[] = [
  { s: "plain" },
  { s: "" },
  { s: "1" },
  { s: "1.50" },
  { s: "-0" },
  { s: "true" },
  { s: "null" },
  { s: "'quoted'" },
  { s: "'" },
  { s: "=1+1" },
  { s: "+cmd" },
  { s: "@sum" },
  { s: "-" },
  { s: '{"a":1}' },
  { s: "[1,2]" },
  { s: 'say "hi", then leave' },
  { s: "line1\nline2\r\nline3\rend" },
  { s: "\ttabbed\t" },
  { s: "  spaced  " },
  { s: "ünïcödé 日本語 עברית" },
  { s: "emoji 🎉👩‍👩‍👧 done" },
  { s: "comma,semicolon;pipe|" },
  { s: "\\back\\slash" },
  { s: "\u2028\u2029" },
  { n: 0 },
  { n: 1 },
  { n: -17 },
  { n: 0.1 },
  { n: Math.PI },
  { n: 1e21 },
  { n: -2.5e-8 },
  { n: Number.MAX_SAFE_INTEGER },
  { b: true },
  { b: false },
  { z: null },
  { o: { nested: { deep: [1, "1", null, true, { x: [] }] }, empty: {} } },
  { a: [] },
  { a: [[1, 2], ["a", ["b"]], { k: "v" }] },
  {},
];

/** Every item of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}
