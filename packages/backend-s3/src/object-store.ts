import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { isMissingObject, isPreconditionFailed, statusOf, toThemisError } from "./s3-errors.js";
import { mapBounded } from "./bounded.js";

/** Metadata key that carries the id of the write that created an object. */
const WRITE_ID_META = "themis-write-id";

/** A text object and its ETag (without quotes). */
export interface TextObject {
  body: string;
  etag: string;
}

/** One key from a listing. */
export interface ListedObject {
  key: string;
  lastModified: Date | undefined;
  /** Size in bytes, when the listing says. */
  size: number | undefined;
}

/** ETags without the quotes: radosgw matches If-Match only against the bare value. */
export function bareEtag(etag: string | undefined): string {
  return (etag ?? "").replaceAll('"', "");
}

/**
 * The few S3 operations the backend needs, on one bucket, with every SDK error turned into
 * a Themis error. Works on AWS S3 and on S3-compatible servers that honour conditional
 * writes (If-None-Match: * and If-Match on PutObject).
 */
export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly concurrency: number;
  readonly partSizeBytes: number;
  // radosgw wants the ETag bare in If-Match, AWS accepts it bare too; fall back to quoted
  // if a server ever rejects the bare form (see putIfMatch).
  #quoteIfMatch = false;

  constructor(client: S3Client, bucket: string, concurrency: number, partSizeBytes: number) {
    this.client = client;
    this.bucket = bucket;
    this.concurrency = concurrency;
    this.partSizeBytes = partSizeBytes;
  }

  #fail(error: unknown, action: string): never {
    throw toThemisError(error, this.bucket, action);
  }

  /** The object's text, undefined when it does not exist, "unchanged" when its ETag is `ifNoneMatch`. */
  async getText(key: string, ifNoneMatch?: string): Promise<TextObject | undefined | "unchanged"> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(ifNoneMatch ? { IfNoneMatch: `"${ifNoneMatch}"` } : {}) }));
      return { body: await out.Body!.transformToString("utf8"), etag: bareEtag(out.ETag) };
    } catch (error) {
      if (statusOf(error) === 304) return "unchanged";
      if (isMissingObject(error)) return undefined;
      this.#fail(error, `read ${key}`);
    }
  }

  /**
   * The object's body as a stream of text lines, in batches (one per network chunk, so
   * that consumers pay one await per chunk, not per line); undefined when it does not exist.
   */
  async getLines(key: string): Promise<AsyncIterable<string[]> | undefined> {
    let body: Readable;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      body = out.Body as Readable;
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      this.#fail(error, `read ${key}`);
    }
    const fail = (error: unknown): never => this.#fail(error, `read ${key}`);
    return (async function* lines() {
      const decoder = new TextDecoder("utf-8", { fatal: true });
      let rest = "";
      try {
        for await (const chunk of body) {
          const text = rest + decoder.decode(chunk as Uint8Array, { stream: true });
          const last = text.lastIndexOf("\n");
          if (last === -1) {
            rest = text;
            continue;
          }
          rest = text.slice(last + 1);
          yield text.slice(0, last).split("\n");
        }
        rest += decoder.decode();
      } catch (error) {
        fail(error);
      } finally {
        body.destroy();
      }
      if (rest !== "") yield [rest];
    })();
  }

  /** User metadata of an object, undefined when it does not exist. */
  async headMetadata(key: string): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Metadata ?? {};
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      this.#fail(error, `read ${key}`);
    }
  }

  /**
   * Create the object only if the key is free (If-None-Match: *). Returns false when
   * another object holds the key. The write carries `writeId` in its metadata: when the
   * SDK had to resend the request and the key is taken, a HEAD tells whether the taker is
   * this very write (whose first response was lost) or another one.
   */
  async putIfAbsent(key: string, body: string, writeId: string = randomUUID()): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          IfNoneMatch: "*",
          ContentType: "application/x-ndjson",
          Metadata: { [WRITE_ID_META]: writeId },
        }),
      );
      return true;
    } catch (error) {
      if (!isPreconditionFailed(error)) this.#fail(error, `write ${key}`);
      const resent = ((error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) > 1;
      return resent && (await this.headMetadata(key))?.[WRITE_ID_META] === writeId;
    }
  }

  /** Replace the object only if its ETag is still `etag` (If-Match). Returns the new ETag, or undefined when another writer won. */
  async putIfMatch(key: string, body: string, etag: string): Promise<string | undefined> {
    const attempt = async (quoted: boolean): Promise<string | undefined> => {
      try {
        const out = await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfMatch: quoted ? `"${etag}"` : etag, ContentType: "application/json" }),
        );
        return bareEtag(out.ETag);
      } catch (error) {
        if (isPreconditionFailed(error)) return undefined;
        this.#fail(error, `write ${key}`);
      }
    };
    const first = await attempt(this.#quoteIfMatch);
    if (first !== undefined) return first;
    // Lost, or the server wants the other ETag form: only a re-read tells them apart.
    const current = await this.getText(key);
    if (current === undefined || current === "unchanged" || current.etag !== etag) return undefined;
    this.#quoteIfMatch = !this.#quoteIfMatch;
    return attempt(this.#quoteIfMatch);
  }

  /** Write an object unconditionally (small bodies). */
  async put(key: string, body: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: "application/x-ndjson" }));
    } catch (error) {
      this.#fail(error, `write ${key}`);
    }
  }

  /** Write an object of any size from a stream of text or bytes: multipart (lib-storage) beyond one part. */
  async upload(key: string, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: Readable.from(chunks), ContentType: "application/x-ndjson" },
      partSize: this.partSizeBytes,
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      this.#fail(error, `upload ${key}`);
    }
  }

  /** Delete one object (no error when it does not exist). */
  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissingObject(error)) return;
      this.#fail(error, `delete ${key}`);
    }
  }

  /** Delete keys, 1,000 per request, a few requests at a time. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
    await mapBounded(batches, Math.min(4, this.concurrency), async (batch) => {
      const out = await this.client
        .send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }))
        .catch((error: unknown) => this.#fail(error, `delete ${batch.length} objects under ${batch[0]}`));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) {
        const first = failed[0]!;
        this.#fail(Object.assign(new Error(first.Message ?? first.Code), { name: first.Code ?? "Error", $metadata: {} }), `delete ${first.Key}`);
      }
    });
  }

  /** Every key under `prefix` after `startAfter`, page by page (ContinuationToken). */
  async *list(prefix: string, startAfter?: string): AsyncGenerator<ListedObject[]> {
    let token: string | undefined;
    do {
      const out = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          }),
        )
        .catch((error: unknown) => this.#fail(error, `list ${prefix}`));
      yield (out.Contents ?? []).map((o) => ({ key: o.Key!, lastModified: o.LastModified, size: o.Size }));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** The "folders" directly under `prefix` (CommonPrefixes with delimiter "/"), without the prefix and the slash. */
  async listFolders(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: "/", ...(token ? { ContinuationToken: token } : {}) }))
        .catch((error: unknown) => this.#fail(error, `list ${prefix || "/"}`));
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) names.push(p.Prefix.slice(prefix.length, -1));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return names;
  }

  /** Delete every object under `prefix`, and abort multipart uploads left there by writers that died. */
  async deletePrefix(prefix: string): Promise<void> {
    for await (const page of this.list(prefix)) await this.deleteMany(page.map((o) => o.key));
    // Best effort: a policy without s3:ListBucketMultipartUploads should not make deletes
    // fail; a lifecycle rule (AbortIncompleteMultipartUpload) is the backstop.
    await this.abortUploads(prefix).catch(() => undefined);
  }

  /** Abort unfinished multipart uploads under `prefix` (their parts are invisible but stored). */
  async abortUploads(prefix: string): Promise<void> {
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    do {
      const out = await this.client
        .send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: idMarker } : {}) }),
        )
        .catch((error: unknown) => this.#fail(error, `list multipart uploads under ${prefix}`));
      await mapBounded(out.Uploads ?? [], this.concurrency, async (u) => {
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key!, UploadId: u.UploadId! }));
        } catch (error) {
          if (!isMissingObject(error)) this.#fail(error, `abort the multipart upload of ${u.Key}`);
        }
      });
      keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
      idMarker = out.NextUploadIdMarker;
    } while (keyMarker);
  }
}
