import { CorruptDataError, type StoredRow } from "@themis/core";
import { BACKEND_NAME } from "./config.js";

/** One change to a table, in the order a segment applies them. */
export type Op = { op: "a"; row: StoredRow } | { op: "u"; row: StoredRow } | { op: "d"; id: string };

/** A parsed segment. */
export interface Segment {
  writeId: string;
  ops: Op[];
}

const MAGIC = "azure-blob-segment";

/**
 * A segment is JSON Lines: a header `{"themis":"azure-blob-segment","v":1,"writeId":"…"}`,
 * then one line per op: `["a",row]`, `["u",row]`, `["d","id"]`.
 */
export function encodeSegment(writeId: string, ops: readonly Op[]): string {
  const lines = [JSON.stringify({ themis: MAGIC, v: 1, writeId })];
  for (const o of ops) lines.push(JSON.stringify(o.op === "d" ? ["d", o.id] : [o.op, o.row]));
  return `${lines.join("\n")}\n`;
}

/** Parse a segment; anything this backend did not write is CorruptDataError naming the blob. */
export function parseSegment(text: string, blobName: string): Segment {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const corrupt = (why: string, cause?: unknown) =>
    new CorruptDataError(`blob "${blobName}" is not a segment this backend wrote: ${why}`, { backend: BACKEND_NAME, cause });
  let header: { themis?: unknown; v?: unknown; writeId?: unknown };
  try {
    header = JSON.parse(lines[0] ?? "") as typeof header;
  } catch (cause) {
    throw corrupt("bad header", cause);
  }
  if (header?.themis !== MAGIC || header.v !== 1 || typeof header.writeId !== "string") throw corrupt("bad header");
  const ops: Op[] = [];
  for (let i = 1; i < lines.length; i++) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(lines[i]!);
    } catch (cause) {
      throw corrupt(`line ${i + 1} is not JSON`, cause);
    }
    ops.push(toOp(parsed, () => corrupt(`line ${i + 1} is not an op`)));
  }
  return { writeId: header.writeId, ops };
}

function toOp(value: unknown, fail: () => Error): Op {
  if (!Array.isArray(value) || value.length !== 2) throw fail();
  const [kind, body] = value as [unknown, unknown];
  if (kind === "d" && typeof body === "string") return { op: "d", id: body };
  const isRow = typeof body === "object" && body !== null && !Array.isArray(body) && typeof (body as StoredRow)._row_id === "string";
  if ((kind === "a" || kind === "u") && isRow) return { op: kind, row: body as StoredRow };
  throw fail();
}
