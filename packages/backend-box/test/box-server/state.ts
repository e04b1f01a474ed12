import { createHash, randomBytes } from "node:crypto";

/** A stored version of a file's content. */
export interface FileVersion {
  id: string;
  sha1: string;
  content: Buffer;
}

interface ItemBase {
  id: string;
  name: string;
  parentId: string | undefined;
  /** Box etags are per item and change on every modification. */
  etag: number;
  createdAt: string;
  modifiedAt: string;
}

export interface FolderItem extends ItemBase {
  type: "folder";
}

export interface FileItem extends ItemBase {
  type: "file";
  versions: FileVersion[];
}

export type Item = FolderItem | FileItem;

/** The JSON a Box API error carries (https://developer.box.com/reference/resources/client-error/). */
export class BoxHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly contextInfo: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, contextInfo?: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.contextInfo = contextInfo;
    this.headers = headers;
  }
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const sha1 = (data: Buffer): string => createHash("sha1").update(data).digest("hex");
// Box compares names case-insensitively within a folder ("New File" and "new file" collide).
const sameName = (a: string, b: string): boolean => a.toLocaleLowerCase("en") === b.toLocaleLowerCase("en");

/**
 * The content of the stand-in Box account: folders and files with versions, behaving as
 * Box's API documents (ids, per-item etags, case-insensitive unique names per folder).
 */
export class BoxState {
  readonly #items = new Map<string, Item>();
  #nextId = 1000;

  constructor() {
    const t = now();
    this.#items.set("0", { type: "folder", id: "0", name: "All Files", parentId: undefined, etag: 0, createdAt: t, modifiedAt: t });
  }

  #newId(): string {
    this.#nextId += 1 + Math.floor(Math.random() * 7);
    return String(this.#nextId);
  }

  folder(id: string): FolderItem {
    const item = this.#items.get(id);
    if (item?.type !== "folder") throw new BoxHttpError(404, "not_found", "Not Found");
    return item;
  }

  file(id: string): FileItem {
    const item = this.#items.get(id);
    if (item?.type !== "file") throw new BoxHttpError(404, "not_found", "Not Found");
    return item;
  }

  /** Children of a folder, folders first, then by name (Box's default order). */
  children(folderId: string): Item[] {
    this.folder(folderId);
    return [...this.#items.values()]
      .filter((i) => i.parentId === folderId)
      .sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type === "folder" ? -1 : 1));
  }

  #checkName(name: unknown): asserts name is string {
    if (typeof name !== "string" || name.length === 0 || name.length > 255 || /[/\\]/.test(name) || name === "." || name === ".." || name !== name.trim()) {
      throw new BoxHttpError(400, "item_name_invalid", "Item name invalid");
    }
  }

  #conflict(parentId: string, name: string): Item | undefined {
    return this.children(parentId).find((i) => sameName(i.name, name));
  }

  createFolder(parentId: string, name: unknown): FolderItem {
    this.#checkName(name);
    this.folder(parentId);
    const existing = this.#conflict(parentId, name);
    // Folder creation reports conflicts as a list.
    if (existing) throw new BoxHttpError(409, "item_name_in_use", "Item with the same name already exists", { conflicts: [this.mini(existing)] });
    const t = now();
    const folder: FolderItem = { type: "folder", id: this.#newId(), name, parentId, etag: 0, createdAt: t, modifiedAt: t };
    this.#items.set(folder.id, folder);
    return folder;
  }

  uploadFile(parentId: string, name: unknown, content: Buffer): FileItem {
    this.#checkName(name);
    this.folder(parentId);
    const existing = this.#conflict(parentId, name);
    // Uploads report the conflicting item as a single object (as Box really does).
    if (existing) throw new BoxHttpError(409, "item_name_in_use", "Item with the same name already exists", { conflicts: this.mini(existing) });
    const t = now();
    const file: FileItem = {
      type: "file",
      id: this.#newId(),
      name,
      parentId,
      etag: 0,
      createdAt: t,
      modifiedAt: t,
      versions: [{ id: this.#newId(), sha1: sha1(content), content }],
    };
    this.#items.set(file.id, file);
    return file;
  }

  #checkEtag(item: Item, ifMatch: string | undefined): void {
    if (ifMatch === undefined) return;
    // Box accepts the etag with or without quotes.
    if (ifMatch.replace(/^W\//, "").replace(/^"|"$/g, "") !== String(item.etag)) {
      throw new BoxHttpError(412, "precondition_failed", "The resource has been modified. Please retrieve the resource again and retry");
    }
  }

  uploadVersion(fileId: string, content: Buffer, ifMatch: string | undefined, newName?: unknown): FileItem {
    const file = this.file(fileId);
    this.#checkEtag(file, ifMatch);
    if (newName !== undefined && newName !== file.name) {
      this.#checkName(newName);
      const existing = this.#conflict(file.parentId!, newName);
      if (existing && existing.id !== file.id)
        throw new BoxHttpError(409, "item_name_in_use", "Item with the same name already exists", { conflicts: this.mini(existing) });
      file.name = newName;
    }
    file.versions.push({ id: this.#newId(), sha1: sha1(content), content });
    file.etag += 1;
    file.modifiedAt = now();
    return file;
  }

  deleteFile(fileId: string, ifMatch: string | undefined): void {
    const file = this.file(fileId);
    this.#checkEtag(file, ifMatch);
    this.#items.delete(fileId);
  }

  deleteFolder(folderId: string, recursive: boolean, ifMatch: string | undefined): void {
    if (folderId === "0") throw new BoxHttpError(403, "access_denied_insufficient_permissions", "Access denied - insufficient permission");
    const folder = this.folder(folderId);
    this.#checkEtag(folder, ifMatch);
    const kids = this.children(folderId);
    if (kids.length > 0 && !recursive) throw new BoxHttpError(400, "folder_not_empty", "Cannot delete – folder not empty");
    const drop = (id: string): void => {
      for (const child of this.children(id)) {
        if (child.type === "folder") drop(child.id);
        this.#items.delete(child.id);
      }
    };
    drop(folderId);
    this.#items.delete(folderId);
  }

  /** The content of a file version (the current one when `versionId` is undefined). */
  version(fileId: string, versionId: string | undefined): FileVersion {
    const file = this.file(fileId);
    const v = versionId === undefined ? file.versions.at(-1) : file.versions.find((x) => x.id === versionId);
    if (!v) throw new BoxHttpError(404, "not_found", "Not Found");
    return v;
  }

  /** The file or folder at a path of names below the root, for test oracles. */
  lookup(path: readonly string[]): Item | undefined {
    let current: Item | undefined = this.#items.get("0");
    for (const name of path) {
      if (current?.type !== "folder") return undefined;
      current = this.children(current.id).find((i) => i.name === name);
    }
    return current;
  }

  mini(item: Item): Record<string, unknown> {
    const base = { type: item.type, id: item.id, etag: String(item.etag), sequence_id: String(item.etag), name: item.name };
    if (item.type === "folder") return base;
    const v = item.versions.at(-1)!;
    return { ...base, sha1: v.sha1, file_version: { type: "file_version", id: v.id, sha1: v.sha1 } };
  }

  full(item: Item): Record<string, unknown> {
    const parent = item.parentId === undefined ? null : this.mini(this.folder(item.parentId));
    const common = {
      ...this.mini(item),
      created_at: item.createdAt,
      modified_at: item.modifiedAt,
      parent,
      item_status: "active",
    };
    if (item.type === "folder") return { ...common, size: 0 };
    return { ...common, size: item.versions.at(-1)!.content.length };
  }
}

/** A random opaque string (tokens, download keys, request ids). */
export const randomKey = (bytes = 12): string => randomBytes(bytes).toString("hex");
