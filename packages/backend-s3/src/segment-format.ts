import { CorruptDataError, type StoredRow } from "@themis/core";
import { BACKEND_NAME } from "./config.js";

/**
 * One change to a table. `line` is the row as one line of JSON (what is stored).
 * - append: add the row at the end; nothing when its id exists (writers refuse such appends
 *   with ALREADY_EXISTS before writing, so this only makes the first stored row win).
 * - update: replace the row in place; nothing when the id does not exist.
 * - delete: remove the row.
 */
export type Op = { type: "append"; id: string; line: string } | { type: "update"; id: string; line: string } | { type: "delete"; id: string };

type RunTag = "a" | "u" | "d";
const TAG: Record<Op["type"], RunTag> = { append: "a", update: "u", delete: "d" };
const TYPE: Record<RunTag, Op["type"]> = { a: "append", u: "update", d: "delete" };

/** First line of a segment object. */
export interface SegmentHeader {
  themis: "s3-segment";
  v: 1;
  /** Random id of the write, to recognise our own segment after a retried or lost response. */
  writeId: string;
  /** Consecutive ops of one type: [tag, count]. The lines that follow hold them in order. */
  runs?: [RunTag, number][];
  /** For large batches: the key of the object holding the ops (a segment body of its own). */
  blob?: string;
}

/**
 * First line of a compacted base object; the rows follow, one per line, in table order.
 * The row count is in the manifest (the base is streamed out before the count is known).
 */
export interface BaseHeader {
  themis: "s3-base";
  v: 1;
}

/** A row as one line of JSON. Core puts `_row_id` first, which {@link rowIdOf} relies on to skip a parse. */
export function rowLine(row: StoredRow): string {
  return JSON.stringify(row);
}

const ID_PREFIX = /^\{"_row_id":"([A-Za-z0-9_.:-]{1,200})"[,}]/;

/** The `_row_id` of a stored row line. */
export function rowIdOf(line: string, where: string): string {
  const fast = ID_PREFIX.exec(line);
  if (fast) return fast[1]!;
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (cause) {
    throw new CorruptDataError(`${where}: a row is not valid JSON`, { backend: BACKEND_NAME, cause });
  }
  const id = (row as { _row_id?: unknown } | null)?._row_id;
  if (typeof id !== "string") throw new CorruptDataError(`${where}: a row has no _row_id`, { backend: BACKEND_NAME });
  return id;
}

/** The lines of a segment body (header not included). */
export function encodeOps(ops: readonly Op[]): { runs: [RunTag, number][]; lines: string[] } {
  const runs: [RunTag, number][] = [];
  const lines: string[] = [];
  for (const op of ops) {
    const tag = TAG[op.type];
    const last = runs.at(-1);
    if (last && last[0] === tag) last[1]++;
    else runs.push([tag, 1]);
    lines.push(op.type === "delete" ? JSON.stringify(op.id) : op.line);
  }
  return { runs, lines };
}

/** A whole segment object: header line, then one line per op. */
export function encodeSegment(writeId: string, ops: readonly Op[]): string {
  const { runs, lines } = encodeOps(ops);
  const header: SegmentHeader = { themis: "s3-segment", v: 1, writeId, runs };
  return `${JSON.stringify(header)}\n${lines.join("\n")}${lines.length ? "\n" : ""}`;
}

/** A segment that points at a blob holding the ops (written for batches too large for one PUT). */
export function encodePointerSegment(writeId: string, blob: string): string {
  const header: SegmentHeader = { themis: "s3-segment", v: 1, writeId, blob };
  return `${JSON.stringify(header)}\n`;
}

function corrupt(where: string, why: string, cause?: unknown): CorruptDataError {
  return new CorruptDataError(`${where}: ${why}`, { backend: BACKEND_NAME, cause });
}

function splitLines(body: string): string[] {
  const lines = body.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Parse a segment object. Pointer segments come back with `blob` set and no ops. */
export function decodeSegment(body: string, where: string): { header: SegmentHeader; ops: Op[] } {
  const lines = splitLines(body);
  let header: SegmentHeader;
  try {
    header = JSON.parse(lines[0] ?? "") as SegmentHeader;
  } catch (cause) {
    throw corrupt(where, "the segment header is not valid JSON", cause);
  }
  if (header?.themis !== "s3-segment") throw corrupt(where, "not a Themis segment");
  if (header.v !== 1) throw corrupt(where, `segment format version ${String(header.v)} is newer than this package: upgrade @themis/backend-s3`);
  if (header.blob !== undefined) return { header, ops: [] };
  return { header, ops: decodeOps(header.runs ?? [], lines, 1, where) };
}

/** Parse the op lines of a blob (a segment body whose header carries the runs). */
export function decodeBlob(body: string, where: string): Op[] {
  return decodeSegment(body, where).ops;
}

function decodeOps(runs: readonly [RunTag, number][], lines: readonly string[], start: number, where: string): Op[] {
  const ops: Op[] = [];
  let i = start;
  for (const [tag, count] of runs) {
    const type = TYPE[tag];
    if (!type || !Number.isInteger(count) || count < 0) throw corrupt(where, `bad run ${JSON.stringify([tag, count])}`);
    for (let k = 0; k < count; k++, i++) {
      const line = lines[i];
      if (line === undefined) throw corrupt(where, `the segment announces ${total(runs)} ops but holds ${lines.length - start} (torn object)`);
      if (type === "delete") {
        let id: unknown;
        try {
          id = JSON.parse(line);
        } catch (cause) {
          throw corrupt(where, "a deleted id is not valid JSON", cause);
        }
        if (typeof id !== "string") throw corrupt(where, "a deleted id is not a string");
        ops.push({ type, id });
      } else {
        ops.push({ type, id: rowIdOf(line, where), line });
      }
    }
  }
  if (i !== lines.length) throw corrupt(where, `the segment announces ${total(runs)} ops but holds ${lines.length - start}`);
  return ops;
}

function total(runs: readonly [RunTag, number][]): number {
  return runs.reduce((n, [, c]) => n + c, 0);
}

/** The header line of a base object. */
export function encodeBaseHeader(): string {
  const header: BaseHeader = { themis: "s3-base", v: 1 };
  return `${JSON.stringify(header)}\n`;
}

/** Check a base header line. */
export function decodeBaseHeader(line: string, where: string): void {
  let header: BaseHeader;
  try {
    header = JSON.parse(line) as BaseHeader;
  } catch (cause) {
    throw corrupt(where, "the base header is not valid JSON", cause);
  }
  if (header?.themis !== "s3-base") throw corrupt(where, "not a Themis base object");
  if (header.v !== 1) throw corrupt(where, `base format version ${String(header.v)} is newer than this package: upgrade @themis/backend-s3`);
}

/** Parse one stored row line into a fresh object. */
export function parseRow(line: string, where: string): StoredRow {
  try {
    return JSON.parse(line) as StoredRow;
  } catch (cause) {
    throw corrupt(where, "a row is not valid JSON", cause);
  }
}
