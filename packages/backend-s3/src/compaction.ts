import { randomBytes } from "node:crypto";
import { ConflictError } from "@themis/core";
import { BACKEND_NAME } from "./config.js";
import { parseBaseGeneration, parseSegmentSeq } from "./layout.js";
import type { Manifest, ManifestVersion, RetiredObjects } from "./manifest.js";
import { encodeBaseHeader } from "./segment-format.js";
import { ObjectGone, type TableReader } from "./table-reader.js";

/** What {@link compactTable} did. */
export interface CompactionResult {
  /** False when there was nothing to fold or another compactor won. */
  compacted: boolean;
  /** Segments folded into the new base. */
  segments: number;
  /** Rows in the new base. */
  rows: number;
  /** Superseded objects deleted (those whose grace period was over). */
  deletedObjects: number;
}

/** What a compaction needs of its table's log. */
export interface CompactionHost {
  readonly reader: TableReader;
  readonly gracePeriodMs: number;
  readManifest(): Promise<ManifestVersion>;
  /** Retry a read that raced with another compaction deleting what it read. */
  retryGone<T>(read: () => Promise<T>): Promise<T>;
  /** The manifest this compaction wrote. */
  replaced(version: ManifestVersion): void;
}

/**
 * Fold the base and every segment after it into a new base (streamed, multipart when
 * large, with the memory of a streamed read: see TableReader.fold), then switch the
 * manifest to it with If-Match. Objects superseded by earlier compactions whose grace
 * period is over are deleted. Safe to run from any number of processes at once, next to
 * writers and readers: a compactor that loses the If-Match race removes its base and
 * reports `compacted: false`.
 */
export async function compactTable(host: CompactionHost): Promise<CompactionResult> {
  const { reader } = host;
  const { manifest, segments } = await host.retryGone(async () => {
    const version = await host.readManifest();
    return { manifest: version, segments: await reader.segmentsAfter(version.value.tableId, version.value.upTo) };
  });
  const m = manifest.value;
  const now = Date.now();
  const expired = m.retired.filter((r) => now - r.at >= host.gracePeriodMs);
  if (segments.length === 0 && expired.length === 0) return { compacted: false, segments: 0, rows: m.base?.rows ?? 0, deletedObjects: 0 };

  let next: Manifest;
  let newBase: string | undefined;
  let rows = m.base?.rows ?? 0;
  const blobs: string[] = [];
  if (segments.length > 0) {
    const generation = m.generation + 1;
    newBase = reader.paths.base(m.tableId, generation, randomBytes(4).toString("hex"));
    const lines = reader.fold(m, segments, (s) => {
      if (s.blob) blobs.push(s.blob);
    });
    rows = 0;
    await reader.store.upload(
      newBase,
      baseBody(guardGone(lines, reader.label), (n) => (rows += n)),
    );
    next = {
      ...m,
      generation,
      base: { key: newBase, rows },
      upTo: segments.at(-1)!.seq,
      retired: retire(
        m.retired.filter((r) => !expired.includes(r)),
        { since: now, at: now, segmentsUpTo: segments.at(-1)!.seq, generationsUpTo: m.generation, blobs },
        host.gracePeriodMs,
      ),
    };
  } else {
    next = { ...m, retired: m.retired.filter((r) => !expired.includes(r)) };
  }
  // Expired objects are unreferenced by this manifest and any later one: safe to delete
  // before the switch, and again by whoever wins if this compactor loses.
  const keep = new Set([m.base?.key, newBase].filter((k): k is string => k !== undefined));
  const deletedObjects = await deleteRetired(host, m, expired, keep, new Set([...blobs, ...m.retired.flatMap((r) => r.blobs)]), now);
  const etag = await reader.store.putIfMatch(reader.paths.manifest, JSON.stringify(next), manifest.etag);
  if (etag === undefined) {
    if (newBase) await reader.store.delete(newBase);
    return { compacted: false, segments: 0, rows: 0, deletedObjects };
  }
  host.replaced({ value: next, etag });
  return { compacted: segments.length > 0, segments: segments.length, rows, deletedObjects };
}

/** A base object's body: the header, then the lines in chunks of about 1 MiB. */
async function* baseBody(batches: AsyncIterable<string[]>, counted: (rows: number) => void): AsyncGenerator<string> {
  yield encodeBaseHeader();
  let chunk: string[] = [];
  let size = 0;
  for await (const batch of batches) {
    counted(batch.length);
    for (const line of batch) {
      chunk.push(line);
      size += line.length + 1;
    }
    if (size >= 1 << 20) {
      yield `${chunk.join("\n")}\n`;
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) yield `${chunk.join("\n")}\n`;
}

/** Add a retirement, merged into the last entry when that one started recently (bounds the manifest's size). */
function retire(retired: RetiredObjects[], entry: RetiredObjects, gracePeriodMs: number): RetiredObjects[] {
  const last = retired.at(-1);
  if (!last || entry.at - last.since >= gracePeriodMs / 16) return [...retired, entry];
  return [
    ...retired.slice(0, -1),
    {
      since: last.since,
      at: entry.at,
      segmentsUpTo: Math.max(last.segmentsUpTo, entry.segmentsUpTo),
      generationsUpTo: Math.max(last.generationsUpTo, entry.generationsUpTo),
      blobs: [...last.blobs, ...entry.blobs],
    },
  ];
}

/**
 * Delete what expired retirements cover: old segments, old bases (also those of
 * compactors that lost or died), folded blobs; and blobs no segment points at that are
 * older than max(gracePeriodMs, 6 h) (a writer died between uploading one and its segment).
 */
async function deleteRetired(
  host: CompactionHost,
  m: Manifest,
  expired: readonly RetiredObjects[],
  keep: ReadonlySet<string>,
  liveBlobs: ReadonlySet<string>,
  now: number,
): Promise<number> {
  const { store, paths } = host.reader;
  const keys = expired.flatMap((r) => r.blobs);
  const segmentsUpTo = Math.max(0, ...expired.map((r) => r.segmentsUpTo));
  const generationsUpTo = Math.max(0, ...expired.map((r) => r.generationsUpTo));
  if (segmentsUpTo > 0) {
    for await (const page of store.list(paths.segments(m.tableId))) {
      const old = page.filter((o) => (parseSegmentSeq(o.key) ?? Infinity) <= segmentsUpTo).map((o) => o.key);
      keys.push(...old);
      if (old.length < page.length) break;
    }
  }
  if (generationsUpTo > 0) {
    for await (const page of store.list(paths.bases(m.tableId))) {
      keys.push(...page.filter((o) => !keep.has(o.key) && (parseBaseGeneration(o.key) ?? Infinity) <= generationsUpTo).map((o) => o.key));
    }
  }
  const orphanAge = Math.max(host.gracePeriodMs, 6 * 3_600_000);
  for await (const page of store.list(paths.blobs(m.tableId))) {
    keys.push(...page.filter((o) => !liveBlobs.has(o.key) && o.lastModified !== undefined && now - o.lastModified.getTime() >= orphanAge).map((o) => o.key));
  }
  const unique = [...new Set(keys)];
  await store.deleteMany(unique);
  return unique.length;
}

/** The old base vanished under a compaction (another one finished and its grace ran out): a typed error. */
async function* guardGone<T>(source: AsyncIterable<T>, label: string): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof ObjectGone)
      throw new ConflictError(`${label}: another compaction deleted the base this one was reading; retry`, { backend: BACKEND_NAME, cause: error });
    throw error;
  }
}
