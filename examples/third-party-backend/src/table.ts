import { constants } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { NotFoundError, ROW_ID, type StoredRow, type TableKind } from "@themis/core";
import { type GroupOutcome, type TableStoreImpl, asThemisError, planChanges } from "@themis/core/backend";
import { errnoOf, storageError, writeFileAtomic } from "./files.js";
import { fileIds, forgetFileIds, replaceFileIds } from "./id-index.js";
import { lastLineStart, readLines } from "./lines.js";
import { BACKEND_NAME } from "./name.js";
import { decodeRecord, encodeRecord, isCompleteRecord } from "./records.js";
import { queueOf } from "./write-queue.js";

/** What a table needs to know about where it lives. */
export interface JsonlTableOptions {
  kind: TableKind;
  name: string;
  project: string;
  /** Absolute path of the table's `.jsonl` file. */
  file: string;
  fsync: boolean;
  /** Throws ClosedError once the backend is closed. */
  alive: () => void;
}

const NEWLINE = 0x0a;

/**
 * One table: one JSON Lines file, one row per line, in append order.
 *
 * - `append` writes only the new lines, at the end of the file: O(rows appended), never a
 *   rewrite; the write is flushed before it is acknowledged. A batch holding an id the table
 *   has already is refused whole (AlreadyExistsError), checked against an id index kept in
 *   memory and brought up to date incrementally (see id-index.ts).
 * - `update` and `delete` rewrite the file atomically (temp file, flush, rename).
 * - Readers stream the file; a torn last line (an append cut short by a crash, so never
 *   acknowledged) is skipped with a process warning, and removed by the next append. Any
 *   other unreadable line is a CorruptDataError naming the file and line.
 * - Readers never return two rows with one id: should a file hold one twice (two processes
 *   appending the same new id at the same moment, or a hand edit), the first stored wins and
 *   later copies are skipped with a process warning; the next update or delete drops them.
 */
export class JsonlTable implements TableStoreImpl {
  readonly #options: JsonlTableOptions;

  constructor(options: JsonlTableOptions) {
    this.#options = options;
  }

  #missing(): NotFoundError {
    const { kind, name, project } = this.#options;
    return new NotFoundError(`${kind} "${name}" does not exist in project "${project}"`, { backend: BACKEND_NAME });
  }

  #missingRow(id: string): NotFoundError {
    const { kind, name } = this.#options;
    return new NotFoundError(`${kind} "${name}" has no row with ${ROW_ID} "${id}"`, { backend: BACKEND_NAME });
  }

  /** Run a file operation, turning file-system errors into Themis errors. */
  async #io<T>(action: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (asThemisError(error)) throw error;
      if (errnoOf(error) === "ENOENT") throw this.#missing();
      throw storageError(action, this.#options.file, error);
    }
  }

  /** The rows of the file behind `handle`, up to byte `end`. */
  async *#rows(handle: FileHandle, end: number): AsyncGenerator<StoredRow> {
    const { file } = this.#options;
    const seen = new Set<string>();
    let duplicates = 0;
    try {
      for await (const line of readLines(handle, end)) {
        if (line.text.trim() === "") continue; // Blank lines (hand edits) hold no row.
        if (!line.terminated && !isCompleteRecord(line.text)) {
          process.emitWarning(`${file}:${line.number}: skipping a torn last record (an append cut short, never acknowledged); the next append removes it`, {
            code: "THEMIS_JSONL_TORN_RECORD",
          });
          return;
        }
        const row = decodeRecord(line.text, file, line.number);
        const id = row[ROW_ID];
        if (seen.has(id)) {
          duplicates++; // The first stored wins.
          continue;
        }
        seen.add(id);
        yield row;
      }
    } finally {
      if (duplicates > 0) {
        process.emitWarning(
          `${file}: skipped ${duplicates} later cop${duplicates === 1 ? "y" : "ies"} of a ${ROW_ID} stored earlier in the file (the first stored wins; the next update or delete removes them)`,
          {
            code: "THEMIS_JSONL_DUPLICATE_ROW_ID",
          },
        );
      }
    }
  }

  async *entries(): AsyncIterable<StoredRow> {
    this.#options.alive();
    // Take the snapshot (open + size) in the table's queue, so no write of this process is
    // half-done at that moment. Rewrites rename a new file into place, so the open handle
    // keeps reading the complete old file; appends land after `size` and are not seen.
    const { handle, size } = await queueOf(this.#options.file).exclusive(() =>
      this.#io("read", async () => {
        const h = await open(this.#options.file, "r");
        try {
          return { handle: h, size: (await h.stat()).size };
        } catch (error) {
          await h.close();
          throw error;
        }
      }),
    );
    try {
      yield* this.#rows(handle, size);
    } finally {
      await handle.close();
    }
  }

  // No `load` and no `get`: core's fallbacks read `entries()`, as this backend would.

  async append(rows: readonly StoredRow[]): Promise<void> {
    this.#options.alive();
    await queueOf(this.#options.file).enqueue({ rows, table: this });
  }

  /**
   * Write the append batches queued together (the file's group commit) in one write. A batch
   * holding an id the table has, or holding one twice, is refused whole (core's
   * `planChanges`), checked against the id index; the others are written.
   */
  writeAppends(batches: readonly (readonly StoredRow[])[]): Promise<GroupOutcome> {
    const { file, fsync, kind, name } = this.#options;
    return this.#io("append to", async () => {
      // No O_CREAT: appending to a table deleted meanwhile must fail, not recreate it.
      const handle = await open(file, constants.O_RDWR | constants.O_APPEND);
      try {
        const separator = await this.#prepareTail(handle);
        // Every id in the file, from the index (reads only what it has not seen yet).
        const ids = await fileIds(file, handle, await handle.stat());
        const changes = batches.map((rows) => ({ kind: "append", rows }) as const);
        const plan = await planChanges(changes, ids, { backend: BACKEND_NAME, label: `${kind} "${name}"` });
        const rows = plan.accepted.flatMap((change) => change.rows);
        if (rows.length > 0) {
          const text = separator + rows.map(encodeRecord).join("");
          try {
            await handle.writeFile(text, "utf8");
            if (fsync) await handle.datasync();
          } catch (error) {
            forgetFileIds(file); // What reached the file is unknown: rebuild on the next append.
            throw error;
          }
          // The rows are stored: from here on, nothing may fail the append (a caller retrying
          // it would get ALREADY_EXISTS); at worst the index is rebuilt on the next append.
          const after = await handle.stat().catch(() => undefined);
          if (after === undefined) forgetFileIds(file);
          else
            ids.appended(
              rows.map((row) => row[ROW_ID]),
              Buffer.byteLength(text, "utf8"),
              after,
            );
        }
        return changes.map((change) => plan.rejected.get(change));
      } finally {
        await handle.close();
      }
    });
  }

  /**
   * Make sure new records start on a line of their own. Returns the text to write first:
   * a newline when the last line is a complete record without one (a hand edit); when the
   * last line is a torn record, cuts it off instead (it was never acknowledged: appends
   * are acknowledged only after the whole write is flushed).
   */
  async #prepareTail(handle: FileHandle): Promise<string> {
    const { size } = await handle.stat();
    if (size === 0) return "";
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === NEWLINE) return "";
    const start = await lastLineStart(handle, size);
    const tail = Buffer.alloc(size - start);
    await handle.read(tail, 0, tail.length, start);
    if (isCompleteRecord(tail.toString("utf8"))) return "\n";
    await handle.truncate(start);
    process.emitWarning(`${this.#options.file}: removed a torn last record of ${tail.length} bytes (an append cut short, never acknowledged)`, {
      code: "THEMIS_JSONL_TORN_RECORD",
    });
    return "";
  }

  async update(row: StoredRow): Promise<void> {
    const id = row[ROW_ID];
    await this.#rewrite((rows) => {
      const at = rows.findIndex((r) => r[ROW_ID] === id);
      if (at === -1) throw this.#missingRow(id);
      rows[at] = row;
    });
  }

  async delete(id: string): Promise<void> {
    await this.#rewrite((rows) => {
      const at = rows.findIndex((r) => r[ROW_ID] === id);
      if (at === -1) throw this.#missingRow(id);
      rows.splice(at, 1);
    });
  }

  /** Read every row, change them in memory, write the file back atomically; all in the table's queue. */
  async #rewrite(change: (rows: StoredRow[]) => void): Promise<void> {
    this.#options.alive();
    const { file, fsync } = this.#options;
    await queueOf(file).exclusive(() =>
      this.#io("rewrite", async () => {
        const rows: StoredRow[] = [];
        const handle = await open(file, "r");
        try {
          const { size } = await handle.stat();
          for await (const row of this.#rows(handle, size)) rows.push(row);
        } finally {
          await handle.close();
        }
        change(rows);
        forgetFileIds(file);
        await writeFileAtomic(file, rows.map(encodeRecord).join(""), fsync);
        // Done; an index we cannot tie to the new file is simply rebuilt by the next append.
        const after = await stat(file).catch(() => undefined);
        if (after !== undefined)
          replaceFileIds(
            file,
            after,
            rows.map((row) => row[ROW_ID]),
          );
      }),
    );
  }
}
