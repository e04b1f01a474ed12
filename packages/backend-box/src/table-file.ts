import { createHash } from "node:crypto";
import { ConflictError, CorruptDataError, type StoredRow, UnavailableError } from "@themis/core";
import { GroupCommitQueue, type GroupOutcome, retryTransient } from "@themis/core/backend";
import { parseCsv } from "@themis/csv-codec";
import type { BoxIo, FileInfo } from "./box-io.js";
import { BACKEND_NAME, statusOf, toThemisError } from "./errors.js";
import { copyJson, copyRows } from "./json-copy.js";
import { RowIndex } from "./row-index.js";
import { textSlices } from "./record-scan.js";
import { rowInText } from "./text-edit.js";
import { type TableChange, type TableContent, applyChanges } from "./table-changes.js";

/** A table's content at one etag, as cached. */
interface Snapshot extends TableContent {
  etag: string;
}

/** What one read found. */
interface ReadResult {
  snapshot: Snapshot;
  /** Rows this read parsed: handed as they are to the first caller that wants all rows. */
  parsed?: { rows: StoredRow[]; taken: boolean };
}

/** Where a table file lives, for errors and messages. */
export interface TableFileLocation {
  fileId: string;
  /** The file's name in Box, `<table>.csv`. */
  fileName: string;
  /** `<project>/<kind folder>/<file>`, for messages. */
  path: string;
  /** Called when Box says the file is gone (404), so lookups stop returning its id. */
  onGone?: () => void;
}

const sha1 = (data: Buffer): string => createHash("sha1").update(data).digest("hex");
const DOWNLOAD_ATTEMPTS = 3;

/**
 * One table file on Box, shared by every handle to it within a backend instance.
 *
 * Reads ask Box for the file's etag and download only when it changed (contents are
 * cached by etag), pinned to that version and checked against its size and SHA-1, so a
 * torn or failed download is an error, never an empty table.
 *
 * Writes are queued and applied in batches: every change waiting when an upload starts
 * goes into that one new version (appendMany is always one upload). Each upload carries
 * If-Match with the etag of the content it was computed from; on 412 the file is read
 * again and the changes re-applied, up to `conflictRetries` times, then ConflictError.
 * A write is only ever computed from a complete, verified read. An append of an id stored
 * already fails alone (AlreadyExistsError), except after a 412 when its own earlier upload
 * may be what stored it (see {@link applyChanges}).
 */
export class TableFile {
  readonly location: TableFileLocation;
  readonly #io: BoxIo;
  readonly #conflictRetries: number;
  #cache: Snapshot | undefined;
  /**
   * Every change waiting when an upload starts goes into that one new version: unbounded,
   * since every version uploads the whole file anyway (one upload beats two of the same size).
   */
  readonly #queue = new GroupCommitQueue<TableChange>((changes) => this.#commit(changes), { maxGroupSize: Number.MAX_SAFE_INTEGER });
  #reading: { writes: number; promise: Promise<ReadResult> } | undefined;
  /** Uploads done so far: a read that started before the last one may not serve later callers. */
  #writes = 0;

  constructor(io: BoxIo, location: TableFileLocation, conflictRetries: number) {
    this.#io = io;
    this.location = location;
    this.#conflictRetries = conflictRetries;
  }

  /** Seed the cache with what was just uploaded (a new, empty table). */
  seed(info: FileInfo, text: string, header: readonly string[]): void {
    this.#cache = { etag: info.etag, header, text, newline: "\n", index: RowIndex.of([]), rows: [] };
  }

  /** The error for a failed call about this file; a 404 also drops the file from lookups. */
  #failure(error: unknown, doing: string): Error {
    if (statusOf(error) === 404) this.location.onGone?.();
    return toThemisError(error, `${doing} ${this.location.path}`, `table file ${this.location.path} no longer exists`);
  }

  /** The table as it is on Box now. Concurrent callers share one read started after the last write. */
  read(): Promise<ReadResult> {
    if (this.#reading?.writes === this.#writes) return this.#reading.promise;
    const reading = { writes: this.#writes, promise: this.#readNow() };
    this.#reading = reading;
    const done = (): void => {
      if (this.#reading === reading) this.#reading = undefined;
    };
    reading.promise.then(done, done);
    return reading.promise;
  }

  async #readNow(): Promise<ReadResult> {
    const writes = this.#writes;
    const cached = this.#cache;
    // Nothing cached: ask for metadata and content at once (a cold load costs one round trip
    // more than a bare download, not two). The content is used only if it is exactly the
    // version the metadata describes; otherwise that version is downloaded by id.
    const early = cached ? undefined : this.#io.download(this.location.fileId).catch(() => undefined);
    let info: FileInfo;
    try {
      info = await this.#io.fileInfo(this.location.fileId);
    } catch (error) {
      throw this.#failure(error, "reading");
    }
    if (cached && cached.etag === info.etag) return { snapshot: cached };
    const guess = await early;
    const bytes = guess && guess.length === info.size && sha1(guess) === info.sha1 ? guess : await this.#download(info);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error) {
      throw new CorruptDataError(`${this.location.path} is not UTF-8 text`, { backend: BACKEND_NAME, cause: error });
    }
    // Excel adds a byte order mark when it saves CSV; it is not part of the first column name.
    if (text.startsWith("\uFEFF")) text = text.slice(1);
    const parsed = parseCsv(text, { source: `box:${this.location.path}`, backend: BACKEND_NAME });
    // The cache keeps the text; its own parsed rows are made when first needed, so a
    // cold load hands over these rows without copying them.
    const snapshot: Snapshot = { etag: info.etag, header: parsed.header, text, newline: parsed.newline, index: RowIndex.of(parsed.rows), rows: undefined };
    // A write that finished meanwhile left newer content in the cache: keep it.
    if (writes === this.#writes) this.#cache = snapshot;
    return { snapshot, parsed: { rows: parsed.rows, taken: false } };
  }

  /** The exact bytes of the version `info` describes; a short or altered download is retried, then an error. */
  async #download(info: FileInfo): Promise<Buffer> {
    let last: unknown;
    for (let attempt = 0; attempt < DOWNLOAD_ATTEMPTS; attempt++) {
      try {
        const bytes = await this.#io.download(info.id, info.versionId);
        if (bytes.length !== info.size) {
          // A transfer cut short: worth another try, and never content to build a write on.
          last = new UnavailableError(`download of ${this.location.path} was cut short (${bytes.length} of ${info.size} bytes)`, { backend: BACKEND_NAME });
          continue;
        }
        if (sha1(bytes) === info.sha1) return bytes;
        last = new CorruptDataError(`download of ${this.location.path} does not match the SHA-1 Box reports for it`, { backend: BACKEND_NAME });
      } catch (error) {
        // HTTP errors were already retried by the SDK; a torn body is worth another try here.
        if (statusOf(error) !== 0 && statusOf(error) !== undefined) throw this.#failure(error, "downloading");
        last = error;
      }
    }
    if (last instanceof CorruptDataError || last instanceof UnavailableError) throw last;
    throw toThemisError(last, `downloading ${this.location.path}`);
  }

  /**
   * The parsed rows of the cached content, which are never handed to callers: the rows a
   * read parsed if nobody took them, else parsed again from the text.
   */
  #rowsOf(content: TableContent, result?: ReadResult): StoredRow[] {
    if (content.rows) return content.rows;
    if (result?.parsed && !result.parsed.taken && result.snapshot === content) {
      result.parsed.taken = true;
      content.rows = result.parsed.rows;
    } else {
      content.rows = parseCsv(content.text, { source: `box:${this.location.path}`, backend: BACKEND_NAME }).rows;
    }
    return content.rows;
  }

  /** Every row, in file order, for the caller to keep (and change). */
  async rows(): Promise<StoredRow[]> {
    const result = await this.read();
    if (result.parsed && !result.parsed.taken) {
      result.parsed.taken = true;
      return result.parsed.rows;
    }
    return copyRows(this.#rowsOf(result.snapshot, result));
  }

  /**
   * Every row, in file order, parsed a slice of the table's text at a time: memory holds
   * the text (one Box download) and the rows of one slice (about 1 MB of text), never every
   * row as an object.
   */
  async *streamRows(): AsyncGenerator<StoredRow> {
    const { snapshot } = await this.read();
    // A snapshot's text never changes (a write makes a new one), so later writes do not disturb the stream.
    const { text, header, newline } = snapshot;
    const source = `box:${this.location.path}`;
    for (const slice of textSlices(text)) {
      yield* parseCsv(text.slice(slice.from, slice.to), { source, backend: BACKEND_NAME, header, newline, firstLine: slice.line }).rows;
    }
  }

  async row(id: string): Promise<StoredRow | undefined> {
    const result = await this.read();
    const { snapshot } = result;
    const at = snapshot.index.get(id);
    if (at === undefined) return undefined;
    if (snapshot.rows) return copyJson(snapshot.rows[at]!) as StoredRow;
    // Just that record, found by a scan of the text, rather than every row parsed.
    return rowInText(snapshot, at, id) ?? (copyJson(this.#rowsOf(snapshot, result)[at]!) as StoredRow);
  }

  /** Apply a change in the next version upload; resolves once Box has it. */
  change(change: TableChange): Promise<void> {
    return this.#queue.enqueue(change);
  }

  /**
   * Upload one new version holding `changes`, computed from the cached content (checked
   * against Box before refusing a change) and guarded by If-Match; on 412, read the file
   * again and retry with jittered backoff (`retryTransient`, 10 ms doubling up to 1 s) up to
   * `conflictRetries` times, then ConflictError.
   */
  async #commit(changes: readonly TableChange[]): Promise<GroupOutcome> {
    let result: ReadResult | undefined;
    const rowsOf = (content: TableContent): StoredRow[] => this.#rowsOf(content, result);
    // The cached content may be stale; If-Match catches that, and a 412 leads to a fresh read.
    let snapshot: Snapshot;
    if (this.#cache) snapshot = this.#cache;
    else {
      result = await this.read();
      snapshot = result.snapshot;
    }
    // Appends that went into an upload answered 412: that answer may be to a retry of an
    // upload that was stored (its first answer lost), so their rows may be stored already.
    const maybeStored = new Set<number>();
    const label = this.location.path;
    let lost: ConflictError | undefined;
    const attempt = async (n: number): Promise<GroupOutcome> => {
      if (n > 1) {
        result = await this.read();
        snapshot = result.snapshot;
      }
      let applied = await applyChanges(snapshot, changes, rowsOf, maybeStored, label);
      // A change refused on cached content (row not found, id taken) is checked against Box before failing.
      if (applied.failures.size > 0 && !result) {
        result = await this.read();
        snapshot = result.snapshot;
        applied = await applyChanges(snapshot, changes, rowsOf, maybeStored, label);
      }
      if (!applied.changed) return answers(changes, applied.failures);
      const content = applied.content;
      try {
        const info = await this.#io.uploadVersion(this.location.fileId, this.location.fileName, Buffer.from(content.text, "utf8"), snapshot.etag);
        this.#writes++;
        this.#cache = { ...content, etag: info.etag };
        return answers(changes, applied.failures);
      } catch (error) {
        if (statusOf(error) !== 412) throw this.#failure(error, "writing");
      }
      changes.forEach((change, position) => {
        if (change.kind === "append" && !applied.failures.has(position)) maybeStored.add(position);
      });
      this.#cache = undefined;
      lost = new ConflictError(`${this.location.path} kept changing: gave up after ${n} attempts to write a new version (other writers won every time)`, {
        backend: BACKEND_NAME,
      });
      throw lost;
    };
    // Jitter keeps two writers that collided from colliding again in lockstep.
    return retryTransient(attempt, { retries: this.#conflictRetries, minDelayMs: 10, maxDelayMs: 1000, retryOn: (error) => error === lost });
  }
}

/** Each queued change's answer: undefined when written, its error when refused. */
function answers(changes: readonly TableChange[], failures: ReadonlyMap<number, Error>): GroupOutcome {
  return changes.map((_, position) => failures.get(position));
}
