import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { ConflictError, CorruptDataError, NotFoundError, ROW_ID, type StoredRow, UnavailableError } from "@themis/core";
import { headerFor, parseCsv, serializeRows } from "@themis/csv-codec";
import type { BoxIo, FileInfo } from "./box-io.js";
import { BACKEND, statusOf, toThemisError } from "./errors.js";
import { copyJson, copyRows } from "./json-copy.js";

/** One table's content as read from (or written to) Box, at one etag. */
interface Snapshot {
  etag: string;
  header: readonly string[];
  rows: StoredRow[];
  /** Position of each row id in `rows`. */
  index: Map<string, number>;
  text: string;
  newline: "\n" | "\r\n";
  /** Read from Box just now (not reused from an earlier read or write). */
  fresh: boolean;
}

/** A change to a table, queued until the next version upload. */
export type TableChange = { kind: "append"; rows: readonly StoredRow[] } | { kind: "update"; row: StoredRow } | { kind: "delete"; id: string };

interface Pending {
  change: TableChange;
  resolve: () => void;
  reject: (error: unknown) => void;
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
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
function indexOf(rows: readonly StoredRow[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) index.set(rows[i]!._row_id, i);
  return index;
}

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
 * A write is only ever computed from a complete, verified read.
 */
export class TableFile {
  readonly location: TableFileLocation;
  readonly #io: BoxIo;
  readonly #conflictRetries: number;
  #cache: Snapshot | undefined;
  #queue: Pending[] = [];
  #writing = false;
  #reading: { writes: number; promise: Promise<Snapshot> } | undefined;
  /** Uploads done so far: a read that started before the last one may not serve later callers. */
  #writes = 0;

  constructor(io: BoxIo, location: TableFileLocation, conflictRetries: number) {
    this.#io = io;
    this.location = location;
    this.#conflictRetries = conflictRetries;
  }

  /** Seed the cache with what was just uploaded (a new table). */
  seed(info: FileInfo, text: string): void {
    this.#remember(info, text, [ROW_ID], [], "\n");
  }

  #remember(info: FileInfo, text: string, header: readonly string[], rows: StoredRow[], newline: "\n" | "\r\n", index = indexOf(rows)): Snapshot {
    const snapshot: Snapshot = { etag: info.etag, header, rows, index, text, newline, fresh: false };
    this.#cache = snapshot;
    return { ...snapshot, fresh: true };
  }

  /** The error for a failed call about this file; a 404 also drops the file from lookups. */
  #failure(error: unknown, doing: string): Error {
    if (statusOf(error) === 404) this.location.onGone?.();
    return toThemisError(error, `${doing} ${this.location.path}`, `table file ${this.location.path} no longer exists`);
  }

  /** The table as it is on Box now. Concurrent callers share one read started after the last write. */
  read(): Promise<Snapshot> {
    if (this.#reading?.writes === this.#writes) return this.#reading.promise;
    const reading = { writes: this.#writes, promise: this.#readNow() };
    this.#reading = reading;
    void reading.promise.then(
      () => this.#reading === reading && (this.#reading = undefined),
      () => this.#reading === reading && (this.#reading = undefined),
    );
    return reading.promise;
  }

  async #readNow(): Promise<Snapshot> {
    const writes = this.#writes;
    const cached = this.#cache;
    // Nothing cached: fetch metadata and content at once (a cold load costs one round trip
    // more than a bare download, not two). The content is used only if it is exactly the
    // version the metadata describes; otherwise that version is downloaded by id.
    const early = cached ? undefined : this.#io.download(this.location.fileId).catch(() => undefined);
    let info: FileInfo;
    try {
      info = await this.#io.fileInfo(this.location.fileId);
    } catch (error) {
      throw this.#failure(error, "reading");
    }
    if (cached && cached.etag === info.etag) return { ...cached, fresh: true };
    const guess = await early;
    const bytes = guess && guess.length === info.size && sha1(guess) === info.sha1 ? guess : await this.#download(info);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error) {
      throw new CorruptDataError(`${this.location.path} is not UTF-8 text`, { backend: BACKEND, cause: error });
    }
    // Excel adds a byte order mark when it saves CSV; it is not part of the first column name.
    if (text.startsWith("\uFEFF")) text = text.slice(1);
    const parsed = parseCsv(text, { source: `box:${this.location.path}`, backend: BACKEND });
    // A write that finished meanwhile left newer content in the cache: keep it.
    if (writes !== this.#writes) return { etag: info.etag, header: parsed.header, rows: parsed.rows, index: indexOf(parsed.rows), text, newline: parsed.newline, fresh: true };
    return this.#remember(info, text, parsed.header, parsed.rows, parsed.newline);
  }

  /** The exact bytes of the version `info` describes; a short or altered download is retried, then an error. */
  async #download(info: FileInfo): Promise<Buffer> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const bytes = await this.#io.download(info.id, info.versionId);
        if (bytes.length !== info.size) {
          // A transfer cut short: worth another try, and never content to build a write on.
          last = new UnavailableError(`download of ${this.location.path} was cut short (${bytes.length} of ${info.size} bytes)`, { backend: BACKEND });
          continue;
        }
        if (sha1(bytes) === info.sha1) return bytes;
        last = new CorruptDataError(`download of ${this.location.path} does not match the SHA-1 Box reports for it`, { backend: BACKEND });
      } catch (error) {
        // HTTP errors were already retried by the SDK; a torn body is worth another try here.
        if (statusOf(error) !== 0 && statusOf(error) !== undefined) throw this.#failure(error, "downloading");
        last = error;
      }
    }
    if (last instanceof CorruptDataError || last instanceof UnavailableError) throw last;
    throw toThemisError(last, `downloading ${this.location.path}`);
  }

  /** Every row, in file order (copies: callers may change them). */
  async rows(): Promise<StoredRow[]> {
    return copyRows((await this.read()).rows);
  }

  async row(id: string): Promise<StoredRow | undefined> {
    const snapshot = await this.read();
    const i = snapshot.index.get(id);
    return i === undefined ? undefined : (copyJson(snapshot.rows[i]!) as StoredRow);
  }

  /** Apply a change in the next version upload; resolves once Box has it. */
  change(change: TableChange): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ change, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0));
    } finally {
      this.#writing = false;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    try {
      // The cached content may be stale; If-Match catches that, and a 412 leads to a fresh read.
      let snapshot = this.#cache ? { ...this.#cache, fresh: false } : await this.read();
      for (let attempt = 0; ; attempt++) {
        let outcome = apply(snapshot, batch);
        // A change refused on cached content (row not found) is checked against Box before failing.
        if (outcome.failures.size > 0 && !snapshot.fresh) {
          snapshot = await this.read();
          outcome = apply(snapshot, batch);
        }
        if (!outcome.changed) return settle(batch, outcome.failures);
        const text = outcome.appendOnly ? snapshot.text + serializeRows(outcome.header, outcome.appended, { includeHeader: false, newline: snapshot.newline }) : serializeRows(outcome.header, outcome.rows, { newline: snapshot.newline });
        try {
          const info = await this.#io.uploadVersion(this.location.fileId, this.location.fileName, Buffer.from(text, "utf8"), snapshot.etag);
          this.#writes++;
          this.#remember(info, text, outcome.header, outcome.rows, snapshot.newline, outcome.index);
          return settle(batch, outcome.failures);
        } catch (error) {
          if (statusOf(error) !== 412) throw this.#failure(error, "writing");
        }
        this.#cache = undefined;
        if (attempt >= this.#conflictRetries) {
          throw new ConflictError(`${this.location.path} kept changing: gave up after ${attempt + 1} attempts to write a new version (other writers won every time)`, { backend: BACKEND });
        }
        // Jitter keeps two writers that collided from colliding again in lockstep.
        await sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt));
        snapshot = await this.read();
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}

interface Outcome {
  changed: boolean;
  header: readonly string[];
  rows: StoredRow[];
  index: Map<string, number>;
  /** Every change was an append of new rows under the existing header: the file can be extended. */
  appendOnly: boolean;
  appended: StoredRow[];
  failures: Map<Pending, Error>;
}

/**
 * The rows after applying each pending change in order. A change that cannot apply
 * (update or delete of a missing row) fails alone. Appending a row whose id is already
 * stored replaces it in place, and is no change at all when the stored row is equal: an
 * append retried after an unknown outcome does not store its rows twice.
 */
function apply(snapshot: Snapshot, batch: readonly Pending[]): Outcome {
  let rows: StoredRow[] | undefined;
  let index = snapshot.index;
  const appended: StoredRow[] = [];
  const failures = new Map<Pending, Error>();
  let appendOnly = true;
  const own = (): StoredRow[] => {
    if (!rows) {
      rows = snapshot.rows.slice();
      index = new Map(index);
    }
    return rows;
  };
  for (const p of batch) {
    const c = p.change;
    if (c.kind === "append") {
      for (const row of c.rows) {
        const at = index.get(row._row_id);
        if (at === undefined) {
          const list = own();
          index.set(row._row_id, list.length);
          list.push(row);
          appended.push(row);
        } else if (!isDeepStrictEqual((rows ?? snapshot.rows)[at], row)) {
          own()[at] = row;
          appendOnly = false;
        }
      }
      continue;
    }
    const id = c.kind === "update" ? c.row._row_id : c.id;
    const at = index.get(id);
    if (at === undefined) {
      failures.set(p, new NotFoundError(`no row with ${ROW_ID} "${id}"`, { backend: BACKEND }));
      continue;
    }
    appendOnly = false;
    if (c.kind === "update") {
      if (!isDeepStrictEqual((rows ?? snapshot.rows)[at], c.row)) own()[at] = c.row;
    } else {
      const list = own();
      list.splice(at, 1);
      index = indexOf(list);
    }
  }
  const finalRows = rows ?? snapshot.rows;
  const header = headerFor(finalRows === snapshot.rows ? [] : appendOnly ? appended : finalRows, snapshot.header);
  return {
    changed: rows !== undefined,
    header,
    rows: finalRows,
    index,
    appendOnly: appendOnly && header === snapshot.header && appended.length > 0 && snapshot.text.length > 0,
    appended,
    failures,
  };
}

function settle(batch: readonly Pending[], failures: Map<Pending, Error>): void {
  for (const p of batch) {
    const failure = failures.get(p);
    if (failure) p.reject(failure);
    else p.resolve();
  }
}
