// A whole-file rewrite (update, delete, an append that changes the header): every row
// streams from the old file into a temp file that atomically replaces it.
import type { StoredRow } from "@themis/core";
import { IdSet } from "@themis/core/backend";
import { parseCsvStream, serializeRows } from "@themis/csv-codec";
import type { FileHandle } from "node:fs/promises";
import { writeAll, writeFileAtomic } from "./durable-fs.js";
import { BACKEND_NAME } from "./names.js";
import { countNewlines } from "./record-boundary.js";
import { validUtf8 } from "./valid-utf8.js";
import { ENCODE_CHUNK_ROWS, rowsText } from "./write-rows.js";
import { REWRITE_BATCH, type WriterState } from "./writer-state.js";
import { readRange } from "./read-range.js";
import { RecordCopier } from "./copy-records.js";

/** What a rewrite changes besides re-encoding every row under the new header. */
export interface TableChange {
  append?: readonly StoredRow[];
  update?: StoredRow;
  deleteId?: string;
}

function sameHeader(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((name, i) => name === b[i]);
}

function countNewlineBytes(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

async function startsWithBom(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(3);
  const { bytesRead } = await handle.read(head, 0, 3, 0);
  return bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
}

/**
 * Rewrite the file at `path` atomically under `header`: every current row (the updated one
 * replaced in place, the deleted one left out), then `append`. Rows stream through, so
 * memory holds one batch, not the table. `beforeReplace` runs (and may throw) just before the
 * new file takes the old one's place; `notFound` is thrown when the updated or deleted row
 * is not there. Returns the new file's identity, its line count and its ids.
 */
export async function rewriteFile(
  path: string,
  state: WriterState,
  header: readonly string[],
  change: TableChange,
  options: { beforeReplace: () => void; notFound: (id: string) => Error },
): Promise<{ info: { dev: number; ino: number; birthtimeMs: number; size: number }; lines: number; ids: IdSet }> {
  const ids = new IdSet();
  let found = change.update === undefined && change.deleteId === undefined;
  let lines = 0;
  const source = state.size > 0 && state.header ? state.handle : undefined;
  const info = await writeFileAtomic(path, async (out) => {
    // A byte order mark (a spreadsheet's "CSV UTF-8") stays where it was.
    let pending = (source && (await startsWithBom(source)) ? "\uFEFF" : "") + serializeRows(header, [], { newline: state.newline });
    const putBytes = async (parts: readonly Buffer[]): Promise<void> => {
      for (const part of parts) {
        lines += countNewlineBytes(part);
        await writeAll(out, part);
      }
    };
    const put = async (text: string, force = false): Promise<void> => {
      pending += text;
      if (pending.length >= 1 << 20 || (force && pending.length > 0)) {
        lines += countNewlines(pending);
        await writeAll(out, Buffer.from(pending, "utf8"));
        pending = "";
      }
    };
    if (source && !change.append && sameHeader(header, state.header)) {
      // One row dropped or replaced, same columns: copy the other records' bytes (the BOM
      // and header line included, so the header text prepared above is not written).
      pending = "";
      const copier = new RecordCopier(
        {
          id: change.update?._row_id ?? change.deleteId ?? "",
          ...(change.update ? { replacement: Buffer.from(rowsText(header, [change.update], state.newline), "utf8") } : {}),
        },
        ids,
        state.newline,
      );
      for await (const chunk of validUtf8(readRange(source, 0, state.size), path)) await putBytes(copier.feed(chunk));
      await putBytes(copier.end());
      found = copier.found;
    } else if (source) {
      let batch: StoredRow[] = [];
      const stream = readRange(source, 0, state.size);
      for await (const row of parseCsvStream(validUtf8(stream, path), { source: path, backend: BACKEND_NAME })) {
        if (row._row_id === change.deleteId) {
          found = true;
          continue;
        }
        if (change.update && row._row_id === change.update._row_id) found = true;
        const kept = change.update && row._row_id === change.update._row_id ? change.update : row;
        ids.add(kept._row_id);
        batch.push(kept);
        if (batch.length >= REWRITE_BATCH) {
          await put(rowsText(header, batch, state.newline));
          batch = [];
        }
      }
      if (batch.length > 0) await put(rowsText(header, batch, state.newline));
    }
    if (change.append?.length) {
      for (const row of change.append) ids.add(row._row_id);
      // In chunks: the event loop (and the lock's refresh) runs between them.
      for (let i = 0; i < change.append.length; i += ENCODE_CHUNK_ROWS) {
        await put(rowsText(header, change.append.slice(i, i + ENCODE_CHUNK_ROWS), state.newline));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // The id's fingerprint was a false hit: the row is not there. Nothing is replaced.
    if (!found) throw options.notFound(change.update?._row_id ?? change.deleteId!);
    await put("", true);
    // Replace the table only while the lock is still ours: a holder that lost it would
    // overwrite what the new holder appended.
    options.beforeReplace();
  });
  return { info, lines, ids };
}
