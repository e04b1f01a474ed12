import { AlreadyExistsError } from "@themis/core";
import type { BoxIo, FolderEntry } from "./box-io.js";
import { BACKEND_NAME, describeBoxError, BoxRequestError, statusOf, toThemisError } from "./errors.js";

/**
 * Which items live in which folder, as far as this client has seen: lookups by name hit
 * the cache and list the folder (all pages) only on a miss, since a miss may be an item
 * another client just made. Names are matched exactly; Box itself refuses two names that
 * differ only in case, which {@link FolderIndex.ensureFolder} reports.
 */
export class FolderIndex {
  readonly #io: BoxIo;
  readonly #children = new Map<string, Map<string, FolderEntry>>();
  /** Folder each known item was seen in, to forget an item by id alone. */
  readonly #parentOf = new Map<string, string>();

  constructor(io: BoxIo) {
    this.#io = io;
  }

  #cached(parentId: string): Map<string, FolderEntry> {
    let m = this.#children.get(parentId);
    if (!m) {
      m = new Map();
      this.#children.set(parentId, m);
    }
    return m;
  }

  /** Every item of a folder, read from Box now (and remembered). */
  async list(parentId: string, notFound: string): Promise<FolderEntry[]> {
    let entries: FolderEntry[];
    try {
      entries = await this.#io.listFolder(parentId);
    } catch (error) {
      if (statusOf(error) === 404) this.forgetId(parentId);
      throw toThemisError(error, "listing a folder", notFound);
    }
    const m = new Map(entries.map((e) => [e.name, e]));
    this.#children.set(parentId, m);
    for (const e of entries) this.#parentOf.set(e.id, parentId);
    return entries;
  }

  /** The item called `name` in a folder, or undefined; lists the folder on a cache miss. */
  async find(parentId: string, name: string, type: FolderEntry["type"], notFound: string): Promise<FolderEntry | undefined> {
    const hit = this.#children.get(parentId)?.get(name);
    if (hit && hit.type === type) return hit;
    await this.list(parentId, notFound);
    const entry = this.#children.get(parentId)?.get(name);
    return entry?.type === type ? entry : undefined;
  }

  remember(parentId: string, entry: FolderEntry): void {
    this.#cached(parentId).set(entry.name, entry);
    this.#parentOf.set(entry.id, parentId);
  }

  /**
   * Forget an item found gone (a 404 on its id): another client deleted it, maybe made a
   * new one with the same name, which the next lookup will find.
   */
  forgetId(id: string): void {
    const parentId = this.#parentOf.get(id);
    const siblings = parentId === undefined ? undefined : this.#children.get(parentId);
    for (const [name, e] of siblings ?? []) if (e.id === id) siblings!.delete(name);
    this.#parentOf.delete(id);
    this.forgetFolder(id);
  }

  /** Drop what is known about one item (deleted, or found stale by a 404). */
  forget(parentId: string, name: string): void {
    const entry = this.#children.get(parentId)?.get(name);
    this.#children.get(parentId)?.delete(name);
    if (entry?.type === "folder") this.forgetFolder(entry.id);
  }

  /** Drop a folder's listing and those of its subfolders. */
  forgetFolder(folderId: string): void {
    const m = this.#children.get(folderId);
    this.#children.delete(folderId);
    for (const e of m?.values() ?? []) if (e.type === "folder") this.forgetFolder(e.id);
  }

  /**
   * The folder `name` in `parentId`, created when missing. A 409 (another client created
   * it meanwhile) is resolved by re-reading the folder, not by failing.
   */
  async ensureFolder(parentId: string, name: string, notFound: string): Promise<FolderEntry> {
    const existing = await this.find(parentId, name, "folder", notFound);
    if (existing) return existing;
    try {
      const made = await this.#io.createFolder(parentId, name);
      this.remember(parentId, made);
      return made;
    } catch (error) {
      if (statusOf(error) !== 409) throw toThemisError(error, `creating folder "${name}"`, notFound);
      const raced = await this.find(parentId, name, "folder", notFound);
      if (raced) return raced;
      throw sameNameError(name, describeBoxError(error));
    }
  }
}

/** A 409 whose conflicting item is not the one asked for: a case-variant name or a file. */
export function sameNameError(name: string, cause: unknown): AlreadyExistsError {
  const info = cause instanceof BoxRequestError ? cause.contextInfo : undefined;
  const conflicts = info?.conflicts;
  const other = (Array.isArray(conflicts) ? conflicts[0] : conflicts) as { name?: unknown; type?: unknown } | undefined;
  const what = typeof other?.name === "string" ? ` ("${other.name}", a ${String(other.type)})` : "";
  return new AlreadyExistsError(`Box already has an item named like "${name}"${what}: Box names are unique per folder regardless of case`, {
    backend: BACKEND_NAME,
    cause,
  });
}
