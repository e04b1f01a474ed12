import { fstatSync, statSync, writeSync } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { AlreadyExistsError, CorruptDataError, NotFoundError, ROW_ID, type StoredRow } from "@themis/core";
import { CsvFormatError, headerFor, parseCsv, parseCsvStream, serializeRows } from "@themis/csv-codec";
import { faultDelay } from "./fault.js";
import { withKeyedMutex } from "./keyed-mutex.js";
import { TableLock } from "./file-lock.js";
import { removeLeftovers } from "./leftovers.js";
import { moveAside, readFully, rollBackPastCommitted } from "./tail-repair.js";
import { validUtf8 } from "./valid-utf8.js";
import type { CommittedTable } from "./lock-record.js";
import { writeAll, writeFileAtomic } from "./durable-fs.js";
import { RecordBoundaryScanner, countNewlines, findRecordBoundary, type RecordBoundary } from "./record-boundary.js";
import { BACKEND_NAME } from "./names.js";
import { IdSet } from "@themis/core/backend";
import { countIds } from "./confirm-ids.js";

/** Settings a table file needs from the backend config. */
export interface TableFileOptions {
  lockStaleMs: number;
  lockTimeoutMs: number;
  fsyncAppends: boolean;
}

/**
 * What a writer knows about the file, valid while the file keeps its inode and does not
 * shrink: `[0, size)` holds complete, checked records. Other processes only ever append
 * after `size` (under the lock) or replace the file (new inode), so before each write
 * only the bytes appended since are read: appends stay O(batch), not O(table).
 */
interface WriterState {
  dev: number;
  ino: number;
  /** With dev and ino, tells a recreated file apart from the old one (inode numbers get reused). */
  birthtimeMs: number;
  size: number;
  /** Newlines in `[0, size)`, for line numbers in errors. */
  lines: number;
  /** Undefined while the file is empty (no header row yet). */
  header: readonly string[] | undefined;
  newline: "\n" | "\r\n";
  /**
   * Fingerprints of every `_row_id` in the file (a few bytes per row, no strings): appends
   * refuse duplicates, update/delete know what exists; a "maybe" is confirmed on the file.
   */
  ids: IdSet;
  /** Read + O_APPEND handle on this inode: catch-up reads (pread) and appends. */
  handle: FileHandle;
}

// Read chunk size for streamed reads. Kept under V8's large-object threshold (~128 KiB):
// larger chunk strings land in large-object space, which only a full GC frees, and peak
// RSS then grows with the table instead of staying flat.
const STREAM_CHUNK_BYTES = 64 * 1024;
type QueuedAppend = { kind: "append"; rows: readonly StoredRow[]; resolve: () => void; reject: (error: unknown) => void; settled: boolean };
type QueuedOther = { kind: "other"; run: () => Promise<void>; resolve: () => void; reject: (error: unknown) => void; settled: boolean };
type QueuedWrite = QueuedAppend | QueuedOther;

// Appends up to this size are written with a synchronous write call.
const SYNC_WRITE_LIMIT = 64 * 1024;
// Rows encoded at a time by a large append: between two chunks the event loop runs (the
// lock's refresh timer among others), whatever the size of the batch.
const ENCODE_CHUNK_ROWS = 2000;
// Appends queued behind a write in flight, merged into one write (group commit).
const MAX_GROUPED_APPENDS = 1000;
// Rows re-encoded per write while rewriting a file.
const REWRITE_BATCH = 1000;
// Catch-up ranges up to this size are read and parsed in one piece; larger ones stream.
const CATCH_UP_IN_MEMORY_LIMIT = 8 * 1024 * 1024;
// Above this, load() parses from a stream instead of one string (V8 strings top out near 512 MiB).
const LOAD_AS_STRING_LIMIT = 256 * 1024 * 1024;

const rowsText = (header: readonly string[], rows: readonly StoredRow[], newline: "\n" | "\r\n"): string =>
  serializeRows(header, rows, { includeHeader: false, newline });

function writeAllSync(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
}

async function startsWithBom(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(3);
  const { bytesRead } = await handle.read(head, 0, 3, 0);
  return bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/**
 * One table's CSV file: reads from consistent snapshots, O(1) appends, atomic rewrites,
 * torn-tail repair, serialized writers (per process: a keyed mutex; across processes: a
 * lock file beside the table).
 */
export class CsvTableFile {
  readonly path: string;
  readonly #lock: TableLock;
  /** Leftovers of killed writers are removed once, on the first lock taken. */
  #cleaned = false;
  readonly #options: TableFileOptions;
  readonly #describe: string;
  #state: WriterState | undefined;
  readonly #ops: QueuedWrite[] = [];
  #draining = false;
  /** Settles when every write queued so far has: reads wait for it, so they see earlier writes. */
  #lastWrite: Promise<void> = Promise.resolve();

  /** `describe` names the table in errors, e.g. `dataset "qa" of project "p"`. */
  constructor(path: string, describe: string, options: TableFileOptions) {
    this.path = path;
    this.#lock = new TableLock(`${path}.lock`, { staleMs: options.lockStaleMs, timeoutMs: options.lockTimeoutMs });
    this.#describe = describe;
    this.#options = options;
  }

  #notFound(cause?: unknown): NotFoundError {
    return new NotFoundError(`${this.#describe} does not exist (no file ${this.path})`, { backend: BACKEND_NAME, cause });
  }

  /**
   * Run `fn` holding this table's in-process mutex and its cross-process lock (kept as a
   * lease between operations, see {@link TableLock}), after moving aside what a writer that
   * died holding the lock wrote past its committed length.
   */
  async #locked<T>(fn: (lock: TableLock | undefined) => Promise<T>, forRead = false): Promise<T> {
    return withKeyedMutex(this.path, async () => {
      let lock: TableLock | undefined;
      let inherited: CommittedTable | undefined;
      try {
        ({ inherited } = await this.#lock.acquire());
        lock = this.#lock;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw this.#notFound(error); // the folder is gone: table (or project) deleted
        // A reader on a read-only folder cannot lock; its snapshot may then catch a write in flight.
        if (!(forRead && (code === "EACCES" || code === "EROFS" || code === "EPERM"))) throw error;
      }
      try {
        if (lock) await this.#afterAcquire(inherited);
        return await fn(lock);
      } finally {
        lock?.done();
      }
    });
  }

  async #afterAcquire(inherited: CommittedTable | undefined): Promise<void> {
    if (inherited) await this.#rollBack(inherited);
    if (!this.#cleaned) {
      this.#cleaned = true;
      const bytes = await removeLeftovers(this.path, this.#options.lockStaleMs);
      if (bytes > 0) {
        process.emitWarning(`[themis] [${BACKEND_NAME}] ${this.path}: removed ${bytes} bytes of temp files left by killed rewrites`, {
          code: "THEMIS_LEFTOVERS",
          type: "ThemisWarning",
        });
      }
    }
  }

  /**
   * A writer died holding the lock (its lock was just broken, and its committed length
   * inherited): whatever it wrote past that length was never acknowledged, so it must not
   * appear. Those bytes move to `<table>.csv.torn` (nothing is deleted) and the table is cut
   * back: batches are all or nothing, even across crashes.
   */
  async #rollBack(committed: CommittedTable): Promise<void> {
    const moved = await rollBackPastCommitted(this.path, committed);
    if (moved === 0) return;
    if (this.#state && this.#state.size > committed.size) await this.#forget();
    process.emitWarning(
      `[themis] [${BACKEND_NAME}] ${this.path}: a writer died while writing (never acknowledged); its ${moved} bytes past the committed length were moved to ${this.path}.torn`,
      { code: "THEMIS_TORN_LINE", type: "ThemisWarning" },
    );
  }


  // ---------------------------------------------------------------- reads

  /**
   * An open handle and the file size, taken under the lock: no write is half done, and the
   * handle keeps reading this version even if a rewrite replaces the file meanwhile.
   * Parsing then runs without the lock.
   */
  async #snapshot(): Promise<{ handle: FileHandle; size: number }> {
    await this.#lastWrite;
    return this.#locked(async () => {
      let handle: FileHandle;
      try {
        handle = await open(this.path, "r");
      } catch (error) {
        if (isMissing(error)) throw this.#notFound(error);
        throw error;
      }
      try {
        const { size } = await handle.stat();
        return { handle, size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    }, true);
  }

  /** Every row, in file order. */
  async load(): Promise<StoredRow[]> {
    const { handle, size } = await this.#snapshot();
    if (size > LOAD_AS_STRING_LIMIT) {
      await handle.close();
      const rows: StoredRow[] = [];
      for await (const row of this.entries()) rows.push(row);
      return rows;
    }
    try {
      const buffer = Buffer.allocUnsafe(size);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await handle.read(buffer, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return parseCsv(buffer.toString("utf8", 0, read), { source: this.path, backend: BACKEND_NAME }).rows;
    } finally {
      await handle.close();
    }
  }

  /** Every row in file order, parsed incrementally from a snapshot: memory stays flat. */
  async *entries(): AsyncGenerator<StoredRow> {
    const { handle, size } = await this.#snapshot();
    if (size === 0) {
      await handle.close();
      return;
    }
    const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: true, highWaterMark: STREAM_CHUNK_BYTES });
    try {
      yield* parseCsvStream(stream, { source: this.path, backend: BACKEND_NAME });
    } finally {
      stream.destroy();
    }
  }

  /** The row with this id, or undefined. Reads the file up to that row. */
  async get(id: string): Promise<StoredRow | undefined> {
    for await (const row of this.entries()) if (row._row_id === id) return row;
    return undefined;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Append rows as one batch, in one write (a batch that brings new columns rewrites the
   * file instead). Appends queued while a write is in flight are written together, in
   * order, as one write (group commit), each batch still checked and failing on its own.
   */
  append(rows: readonly StoredRow[]): Promise<void> {
    return this.#enqueue({ kind: "append", rows });
  }

  /** Replace the row with `row._row_id` in place (atomic rewrite). NotFoundError if missing. */
  update(row: StoredRow): Promise<void> {
    return this.#enqueue({
      kind: "other",
      run: () =>
        this.#write(async (state, lock) => {
          if (state.ids.has(row._row_id) === "no") throw this.#rowNotFound(row._row_id);
          await this.#rewrite(state, lock, headerFor([row], state.header ?? []), { update: row });
        }),
    });
  }

  /** Remove a row (atomic rewrite). NotFoundError if missing. */
  delete(id: string): Promise<void> {
    return this.#enqueue({
      kind: "other",
      run: () =>
        this.#write(async (state, lock) => {
          if (state.ids.has(id) === "no") throw this.#rowNotFound(id);
          await this.#rewrite(state, lock, state.header ?? [ROW_ID], { deleteId: id });
        }),
    });
  }

  /** Queue a write; writes run one at a time in call order, consecutive appends merged. */
  #enqueue(op: { kind: "append"; rows: readonly StoredRow[] } | { kind: "other"; run: () => Promise<void> }): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#ops.push({ ...op, resolve, reject, settled: false } as QueuedWrite));
    this.#lastWrite = done.catch(() => undefined);
    if (!this.#draining) void this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#ops.length > 0) {
        const first = this.#ops[0]!;
        if (first.kind === "other") {
          this.#ops.shift();
          await first.run().then(first.resolve, first.reject);
          continue;
        }
        let n = 1;
        while (n < this.#ops.length && this.#ops[n]!.kind === "append" && n < MAX_GROUPED_APPENDS) n++;
        const group = this.#ops.splice(0, n) as QueuedAppend[];
        try {
          await this.#appendGroup(group);
          // Acknowledge only now: written, committed in the lock, and the lock checked to be
          // still ours after the write. A crash before this point leaves the group to be
          // rolled back, and none of it was acknowledged.
          for (const op of group) if (!op.settled) op.resolve();
        } catch (error) {
          for (const op of group) if (!op.settled) op.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #appendGroup(group: QueuedAppend[]): Promise<void> {
    await this.#write(async (state, lock) => {
      // Ids of the group are checked against the file's fingerprints and each other (an exact
      // set, as big as the group); a refused batch takes its own back out. Accepted ids join
      // the fingerprints once written; a failed write drops the whole state.
      const stored = await this.#storedAmong(state, group);
      const groupIds = new Set<string>();
      const accepted: StoredRow[] = [];
      for (const op of group) {
        const rows = op.rows;
        let added = 0;
        for (; added < rows.length; added++) {
          const id = rows[added]!._row_id;
          if (groupIds.has(id) || stored.has(id)) break;
          groupIds.add(id);
        }
        if (added < rows.length) {
          for (let i = 0; i < added; i++) groupIds.delete(rows[i]!._row_id);
          op.settled = true;
          op.reject(
            new AlreadyExistsError(`${this.#describe} already has a row with ${ROW_ID} "${rows[added]!._row_id}"; nothing of the batch was stored`, {
              backend: BACKEND_NAME,
            }),
          );
          continue;
        }
        for (const row of rows) accepted.push(row);
      }
      if (accepted.length === 0) return;
      const header = headerFor(accepted, state.header ?? []);
      if (state.header === undefined || header !== state.header) {
        await this.#rewrite(state, lock, header, { append: accepted });
        return;
      }
      if (lock) {
        // Everything up to here is vouched for before a byte is written: if this process
        // dies mid-write, the lock's next holder cuts the table back to exactly this length.
        const c = lock.committed;
        if (!c || c.size !== state.size || c.ino !== state.ino || c.dev !== state.dev || c.birthtimeMs !== state.birthtimeMs) lock.commit(state);
      }
      const written = await this.#writeRows(state, header, accepted);
      for (const id of groupIds) state.ids.add(id);
      faultDelay("after-write");
      state.size += written.bytes;
      state.lines += written.lines;
      if (lock) {
        // Commit, then check the lock is still ours, then acknowledge: a holder that lost the
        // lock meanwhile never acknowledges, and the new holder (which inherited the
        // committed length from before this write) moves these bytes aside.
        lock.commit(state);
        if (!lock.owned()) throw lock.lostError(this.#describe);
      }
    });
  }

  /** The ids of `group` already in the file: fingerprint hits, confirmed by one streamed read. */
  async #storedAmong(state: WriterState, group: readonly QueuedAppend[]): Promise<Set<string>> {
    const maybe = new Set<string>();
    for (const op of group) for (const row of op.rows) if (state.ids.has(row._row_id) === "maybe") maybe.add(row._row_id);
    if (maybe.size === 0) return maybe;
    return new Set((await countIds(state.handle, state.size, this.path, maybe)).keys());
  }

  /**
   * Encode and write rows on the O_APPEND handle: one write call for a small batch, chunks
   * that let the event loop run for a large one. A failed write (disk full) is cut back.
   */
  async #writeRows(state: WriterState, header: readonly string[], rows: readonly StoredRow[]): Promise<{ bytes: number; lines: number }> {
    let bytes = 0;
    let lines = 0;
    try {
      for (let i = 0; i < rows.length; i += ENCODE_CHUNK_ROWS) {
        const text = rowsText(header, rows.length <= ENCODE_CHUNK_ROWS ? rows : rows.slice(i, i + ENCODE_CHUNK_ROWS), state.newline);
        const data = Buffer.from(text, "utf8");
        // Small appends (the common one-row case) write synchronously: microseconds on a local
        // disk, against a thread-pool round trip; large ones go through the thread pool.
        if (data.length <= SYNC_WRITE_LIMIT && rows.length <= ENCODE_CHUNK_ROWS) writeAllSync(state.handle.fd, data);
        else await writeAll(state.handle, data);
        bytes += data.length;
        lines += countNewlines(text);
      }
    } catch (error) {
      // A short write (disk full, quota): take the partial batch back out while still locked.
      await state.handle.truncate(state.size).catch(() => undefined);
      throw error;
    }
    if (this.#options.fsyncAppends) await state.handle.datasync();
    return { bytes, lines };
  }

  /** Delete the table's file (and a torn-line sidecar). NotFoundError if missing. */
  remove(): Promise<void> {
    return this.#enqueue({ kind: "other", run: () => this.#removeNow() });
  }

  async #removeNow(): Promise<void> {
    await this.#locked(async () => {
      await this.#forget();
      try {
        await rm(this.path);
      } catch (error) {
        if (isMissing(error)) throw this.#notFound(error);
        throw error;
      }
      await rm(`${this.path}.torn`, { force: true });
    });
    this.#lock.release();
  }

  /** Close the append handle. The table can still be used (it reopens). */
  async close(): Promise<void> {
    await this.#lastWrite;
    await withKeyedMutex(this.path, async () => {
      await this.#forget();
      this.#lock.release();
    });
  }

  #rowNotFound(id: string): NotFoundError {
    return new NotFoundError(`${this.#describe} has no row with ${ROW_ID} "${id}"`, { backend: BACKEND_NAME });
  }

  async #forget(): Promise<void> {
    const handle = this.#state?.handle;
    this.#state = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** Open the file for reading and appending, checking it is the file `expected` describes. */
  async #openHandle(expected: { dev: number; ino: number; birthtimeMs: number }): Promise<FileHandle> {
    const handle = await open(this.path, "a+");
    const info = await handle.stat();
    if (info.ino !== expected.ino || info.dev !== expected.dev || info.birthtimeMs !== expected.birthtimeMs) {
      await handle.close();
      throw new CorruptDataError(`${this.path} was replaced while locked: another program writes it without taking ${this.#lock.path}`, {
        backend: BACKEND_NAME,
      });
    }
    return handle;
  }

  /** Lock, bring the writer state up to date with the file, run `fn`; any failure drops the state. */
  async #write(fn: (state: WriterState, lock: TableLock | undefined) => Promise<void>): Promise<void> {
    await this.#locked(async (lock) => {
      try {
        await fn(await this.#sync(), lock);
      } catch (error) {
        // The file may hold part of what failed (a short write): re-read it next time.
        if (!(error instanceof NotFoundError || error instanceof AlreadyExistsError)) await this.#forget();
        throw error;
      }
    });
  }

  async #sync(): Promise<WriterState> {
    let info;
    try {
      // Synchronous metadata calls of microseconds. While the file we know is still linked,
      // fstat of our handle tells the same as a stat of the path (its size: appends by hand;
      // its links: replaced or removed) without walking the path.
      const known = this.#state ? fstatSync(this.#state.handle.fd) : undefined;
      info = known && known.nlink > 0 ? known : statSync(this.path);
    } catch (error) {
      await this.#forget();
      if (isMissing(error)) throw this.#notFound(error);
      throw error;
    }
    let state = this.#state;
    if (!state || state.dev !== info.dev || state.ino !== info.ino || state.birthtimeMs !== info.birthtimeMs || info.size < state.size) {
      // First write of this process, or another process rewrote the file: read it all once.
      await this.#forget();
      state = { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs, size: 0, lines: 0, header: undefined, newline: "\n", ids: new IdSet(), handle: await this.#openHandle(info) };
      // Owned from here on: a catch-up that fails (a malformed file) drops it, handle and all.
      this.#state = state;
    }
    if (info.size > state.size) await this.#catchUp(state, info.size);
    this.#state = state;
    return state;
  }

  /**
   * Read what other writers appended in `[state.size, to)`: check it, index its ids,
   * repair a torn tail. Usually a few rows (or the whole file once), parsed in memory.
   */
  async #catchUp(state: WriterState, to: number): Promise<void> {
    const from = state.size;
    if (to - from > CATCH_UP_IN_MEMORY_LIMIT) return this.#catchUpStreaming(state, to);
    const bytes = Buffer.allocUnsafe(to - from);
    await readFully(state.handle, bytes, from);
    const scanner = new RecordBoundaryScanner(from);
    scanner.feed(bytes);
    const found = scanner.result;
    if (found.boundary > from) {
      const parsed = parseCsv(bytes.toString("utf8", 0, found.boundary - from), {
        source: this.path,
        backend: BACKEND_NAME,
        header: state.header,
        firstLine: state.lines + 1,
        newline: from === 0 ? undefined : state.newline,
      });
      const maybe = new Set<string>();
      this.#indexIds(state, parsed.rows, maybe);
      if (from === 0) state.newline = parsed.newline;
      state.header = parsed.header;
      state.size = found.boundary;
      state.lines += found.lines;
      await this.#refuseDuplicates(state, maybe);
    }
    if (found.boundary < to && (await this.#tornTail(state, bytes.subarray(found.boundary - from), state.lines + 1, found.boundary))) {
      await this.#catchUp(state, to + state.newline.length);
    }
  }

  /** {@link #catchUp} for large ranges (the first write to a big table): streamed, memory flat. */
  async #catchUpStreaming(state: WriterState, to: number): Promise<void> {
    const from = state.size;
    const found = await findRecordBoundary(state.handle, from, to);
    if (found.boundary > from) await this.#parseRange(state, found);
    if (found.boundary < to) {
      const fragment = Buffer.allocUnsafe(to - found.boundary);
      await readFully(state.handle, fragment, found.boundary);
      if (await this.#tornTail(state, fragment, state.lines + 1, found.boundary)) await this.#catchUp(state, to + state.newline.length);
    }
  }

  /** Parse and index `[state.size, found.boundary)`, streamed. */
  async #parseRange(state: WriterState, found: RecordBoundary): Promise<void> {
    const from = state.size;
    if (from === 0) state.newline = found.crlf ? "\r\n" : "\n";
    let header = state.header;
    const stream = state.handle.createReadStream({ start: from, end: found.boundary - 1, autoClose: false, highWaterMark: STREAM_CHUNK_BYTES });
    const rows = parseCsvStream(stream, {
      source: this.path,
      backend: BACKEND_NAME,
      header: state.header,
      firstLine: state.lines + 1,
      newline: state.newline,
      onHeader: (h) => (header = h),
    });
    const batch: StoredRow[] = [];
    const maybe = new Set<string>();
    for await (const row of rows) {
      batch.push(row);
      if (batch.length >= REWRITE_BATCH) this.#indexIds(state, batch.splice(0), maybe);
    }
    this.#indexIds(state, batch, maybe);
    state.header = header;
    state.size = found.boundary;
    state.lines += found.lines;
    await this.#refuseDuplicates(state, maybe);
  }

  /** Add the ids of rows read from the file; fingerprint hits go to `maybe`, for {@link #refuseDuplicates}. */
  #indexIds(state: WriterState, rows: readonly StoredRow[], maybe: Set<string>): void {
    for (const row of rows) {
      if (state.ids.has(row._row_id) === "maybe") maybe.add(row._row_id);
      state.ids.add(row._row_id);
    }
  }

  /** The file (up to `state.size`) must not hold any of `maybe` twice. */
  async #refuseDuplicates(state: WriterState, maybe: ReadonlySet<string>): Promise<void> {
    if (maybe.size === 0) return;
    for (const [id, count] of await countIds(state.handle, state.size, this.path, maybe)) {
      if (count > 1) throw new CorruptDataError(`${this.path}: ${ROW_ID} "${id}" appears on two lines; remove one of them`, { backend: BACKEND_NAME });
    }
  }

  /**
   * The file ends inside a record (`fragment`, starting at `offset` on `line`), and no
   * lock explained it (a killed writer's bytes past its committed length are gone by now).
   * A file that ends with a newline but leaves a quote open was edited by hand: report it
   * and touch nothing. A last line that is a whole record but lacks its line ending (typed
   * by hand) gets one: returns true, the caller reads it. Anything else is a write cut
   * short (a file copied mid-write, an older version): moved aside.
   */
  async #tornTail(state: WriterState, fragment: Buffer, line: number, offset: number): Promise<boolean> {
    if (fragment.at(-1) === 0x0a) {
      throw new CsvFormatError("unclosed-quote", this.path, line, "a quoted cell is opened but never closed (a `\"` is missing); fix the file by hand", {
        backend: BACKEND_NAME,
      });
    }
    if (this.#isWholeRecord(state, fragment, line)) {
      writeAllSync(state.handle.fd, Buffer.from(state.newline));
      process.emitWarning(`[themis] [${BACKEND_NAME}] ${this.path}, line ${line}: the last line had no line ending (typed by hand?); one was added`, {
        code: "THEMIS_LINE_ENDED",
        type: "ThemisWarning",
      });
      return true;
    }
    await this.#moveTornTail(fragment, offset, line);
    return false;
  }

  #isWholeRecord(state: WriterState, fragment: Buffer, line: number): boolean {
    const ended = Buffer.concat([fragment, Buffer.from(state.newline)]);
    const scanner = new RecordBoundaryScanner(0);
    scanner.feed(ended);
    if (scanner.result.boundary !== ended.length) return false; // a quoted cell left open: cut short
    try {
      const text = ended.toString("utf8");
      const parsed = parseCsv(text, { source: this.path, backend: BACKEND_NAME, header: state.header, firstLine: line, newline: state.newline });
      return parsed.rows.length === (state.header ? 1 : 0) && state.ids.has(parsed.rows[0]?._row_id ?? "") === "no";
    } catch {
      return false;
    }
  }

  /**
   * A write was cut short (the process was killed mid-write, or the disk filled): the file
   * ends inside a record. That record was never acknowledged to anyone, but rather than
   * drop it the bytes are moved to `<table>.csv.torn` (one fragment per line) and a
   * warning names them.
   */
  async #moveTornTail(fragment: Buffer, boundary: number, line: number): Promise<void> {
    await moveAside(this.path, fragment, boundary);
    process.emitWarning(
      `[themis] [${BACKEND_NAME}] ${this.path}, line ${line}: the last line was incomplete (an interrupted write); its ${fragment.length} bytes were moved to ${this.path}.torn`,
      { code: "THEMIS_TORN_LINE", type: "ThemisWarning" },
    );
  }



  /**
   * Rewrite the whole file atomically under `header`: every current row (the updated one
   * replaced in place, the deleted one left out), then `append`. Rows stream through, so
   * memory holds one batch, not the table.
   */
  async #rewrite(state: WriterState, lock: TableLock | undefined, header: readonly string[], change: { append?: readonly StoredRow[]; update?: StoredRow; deleteId?: string }): Promise<void> {
    const ids = new IdSet();
    let found = change.update === undefined && change.deleteId === undefined;
    let lines = 0;
    const source = state.size > 0 && state.header ? state.handle : undefined;
    try {
      const info = await writeFileAtomic(this.path, async (out) => {
        // A byte order mark (a spreadsheet's "CSV UTF-8") stays where it was.
        let pending = (source && (await startsWithBom(source)) ? "\uFEFF" : "") + serializeRows(header, [], { newline: state.newline });
        const put = async (text: string, force = false): Promise<void> => {
          pending += text;
          if (pending.length >= 1 << 20 || (force && pending.length > 0)) {
            lines += countNewlines(pending);
            await writeAll(out, Buffer.from(pending, "utf8"));
            pending = "";
          }
        };
        if (source) {
          let batch: StoredRow[] = [];
          const stream = source.createReadStream({ start: 0, end: state.size - 1, autoClose: false, highWaterMark: STREAM_CHUNK_BYTES });
          for await (const row of parseCsvStream(validUtf8(stream, this.path), { source: this.path, backend: BACKEND_NAME })) {
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
        if (!found) throw this.#rowNotFound(change.update?._row_id ?? change.deleteId!);
        await put("", true);
        // Replace the table only while the lock is still ours: a holder that lost it would
        // overwrite what the new holder appended.
        if (lock && !lock.owned()) throw lock.lostError(this.#describe);
      });
      // The handle still points at the old, now unlinked, file: reopen on the new one.
      await state.handle.close().catch(() => undefined);
      Object.assign(state, { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs, size: info.size, lines, header: [...header], ids, handle: await this.#openHandle(info) });
      if (lock) {
        lock.commit(state);
        if (!lock.owned()) throw lock.lostError(this.#describe);
      }
    } catch (error) {
      await this.#forget();
      throw error;
    }
  }
}
