import { Readable } from "node:stream";
import type { BoxClient } from "box-node-sdk";
import { DeadlineError, UnavailableError, withDeadline } from "@themis/core";
import { BACKEND_NAME } from "./errors.js";

/** What the backend needs to know about a file: enough to read one version and to write the next. */
export interface FileInfo {
  id: string;
  name: string;
  /** Changes with every new version; sent back as If-Match to write. */
  etag: string;
  /** The current version, so the download returns exactly the bytes `etag` stands for. */
  versionId: string;
  sha1: string;
  size: number;
}

/** One entry of a folder listing. */
export interface FolderEntry {
  type: "file" | "folder" | "web_link";
  id: string;
  name: string;
}

// Fields asked for when reading a file's metadata: only what the backend uses.
const FILE_FIELDS = ["name", "etag", "sha1", "size", "file_version"];

function fileInfo(raw: unknown): FileInfo {
  const f = raw as { id?: string; name?: string; etag?: string | null; sha1?: string; size?: number; fileVersion?: { id?: string } };
  if (!f.id || typeof f.etag !== "string" || !f.fileVersion?.id || typeof f.sha1 !== "string" || typeof f.size !== "number") {
    throw new Error("Box answered with file metadata that lacks id, etag, sha1, size or file_version");
  }
  return { id: f.id, name: f.name ?? "", etag: f.etag, versionId: f.fileVersion.id, sha1: f.sha1.toLowerCase(), size: f.size };
}

/**
 * The handful of Box API calls the backend makes, through the official SDK. Errors are the
 * SDK's; callers map them with `toThemisError`.
 */
export class BoxIo {
  readonly client: BoxClient;
  readonly #pageSize: number;
  readonly #timeoutMs: number;

  constructor(client: BoxClient, pageSize: number, timeoutMs: number) {
    this.client = client;
    this.#pageSize = pageSize;
    this.#timeoutMs = timeoutMs;
  }

  /** Every item of a folder, paging with markers (offset paging stops at 10,000 items). */
  async listFolder(folderId: string): Promise<FolderEntry[]> {
    const out: FolderEntry[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.folders.getFolderItems(folderId, {
        queryParams: { usemarker: true, limit: this.#pageSize, fields: ["name"], ...(marker && { marker }) },
      });
      for (const e of page.entries ?? []) {
        const item = e as { type?: string; id?: string; name?: string };
        if (item.id && item.name && (item.type === "file" || item.type === "folder" || item.type === "web_link"))
          out.push({ type: item.type, id: item.id, name: item.name });
      }
      marker = page.nextMarker ?? undefined;
    } while (marker);
    return out;
  }

  async createFolder(parentId: string, name: string): Promise<FolderEntry> {
    const folder = await this.client.folders.createFolder({ name, parent: { id: parentId } }, { queryParams: { fields: ["name"] } });
    return { type: "folder", id: folder.id, name: folder.name ?? name };
  }

  async deleteFolder(folderId: string): Promise<void> {
    await this.client.folders.deleteFolderById(folderId, { queryParams: { recursive: true } });
  }

  async fileInfo(fileId: string): Promise<FileInfo> {
    return fileInfo(await this.client.files.getFileById(fileId, { queryParams: { fields: FILE_FIELDS } }));
  }

  /**
   * The bytes of one version of a file, the current one without `versionId` (Box answers
   * 302 to a content URL; the SDK follows).
   */
  async download(fileId: string, versionId?: string): Promise<Buffer> {
    const stream = await this.client.downloads.downloadFile(fileId, versionId === undefined ? {} : { queryParams: { version: versionId } });
    if (!stream) throw new Error("Box has no content for this file yet (202)");
    // The SDK's request deadline ends when the headers arrive: the body gets one of its
    // own, per chunk, so a transfer that stalls midway fails (and is retried) instead of hanging.
    const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    const stop = (): void => void (stream as { destroy?: () => void }).destroy?.();
    const chunks: Buffer[] = [];
    for (;;) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await withDeadline(iterator.next(), this.#timeoutMs, `downloading file ${fileId}`, { backend: BACKEND_NAME, onTimeout: stop });
      } catch (error) {
        if (!(error instanceof DeadlineError)) throw error;
        throw new UnavailableError(`download of file ${fileId} stalled: no data for ${this.#timeoutMs} ms (timeoutMs)`, {
          backend: BACKEND_NAME,
          cause: error,
        });
      }
      if (next.done) return Buffer.concat(chunks);
      chunks.push(typeof next.value === "string" ? Buffer.from(next.value) : next.value);
    }
  }

  async uploadNew(parentId: string, name: string, content: Buffer): Promise<FileInfo> {
    const files = await this.client.uploads.uploadFile(
      { attributes: { name, parent: { id: parentId } }, file: Readable.from([content]), fileFileName: name, fileContentType: "text/csv" },
      { queryParams: { fields: FILE_FIELDS } },
    );
    return fileInfo(files.entries?.[0]);
  }

  /** A new version, only if the file is still at `etag` (else Box answers 412). */
  async uploadVersion(fileId: string, name: string, content: Buffer, etag: string): Promise<FileInfo> {
    const files = await this.client.uploads.uploadFileVersion(
      fileId,
      { attributes: { name }, file: Readable.from([content]), fileFileName: name, fileContentType: "text/csv" },
      { headers: { ifMatch: etag }, queryParams: { fields: FILE_FIELDS } },
    );
    return fileInfo(files.entries?.[0]);
  }

  async deleteFile(fileId: string): Promise<void> {
    await this.client.files.deleteFileById(fileId);
  }
}
