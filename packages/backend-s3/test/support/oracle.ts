// Reads what really reached the bucket, with the raw SDK and a fold written independently
// of the backend's: the manifest, the base object, every segment after it.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { StorageOracle } from "@themis/conformance";
import type { TableKind } from "@themis/core";

export interface RawTable {
  manifest: { tableId: string; generation: number; base: { key: string; rows: number } | null; upTo: number; retired: unknown[] };
  /** Row lines by id, in table order. */
  rows: Map<string, Record<string, unknown>>;
  /** Segment keys after the base. */
  segments: string[];
}

async function text(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body!.transformToString();
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/** Every key under a prefix. */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) keys.push(o.Key!);
    token = out.NextContinuationToken;
  } while (token);
  return keys;
}

/** Read one table straight from the bucket, or undefined when its manifest is missing. */
export async function readRawTable(
  client: S3Client,
  bucket: string,
  prefix: string,
  project: string,
  kind: TableKind,
  table: string,
): Promise<RawTable | undefined> {
  const root = `${prefix}${project}/${kind}/${table}/`;
  const manifestText = await text(client, bucket, `${root}manifest.json`);
  if (manifestText === undefined) return undefined;
  const manifest = JSON.parse(manifestText) as RawTable["manifest"];
  const rows = new Map<string, Record<string, unknown>>();
  if (manifest.base) {
    const lines = (await text(client, bucket, manifest.base.key))!.split("\n").filter((l) => l !== "");
    for (const line of lines.slice(1)) {
      const row = JSON.parse(line) as Record<string, unknown>;
      rows.set(row._row_id as string, row);
    }
  }
  const segments = (await listKeys(client, bucket, `${root}${manifest.tableId}/seg/`))
    .filter((k) => Number(/(\d+)\.jsonl$/.exec(k)![1]) > manifest.upTo)
    .sort();
  for (const key of segments) {
    let lines = (await text(client, bucket, key))!.split("\n").filter((l) => l !== "");
    let header = JSON.parse(lines[0]!) as { runs?: [string, number][]; blob?: string };
    if (header.blob) {
      lines = (await text(client, bucket, header.blob))!.split("\n").filter((l) => l !== "");
      header = JSON.parse(lines[0]!) as { runs: [string, number][] };
    }
    let i = 1;
    for (const [tag, count] of header.runs ?? []) {
      for (let k = 0; k < count; k++) {
        const value = JSON.parse(lines[i++]!) as Record<string, unknown> | string;
        if (tag === "d") rows.delete(value as string);
        else {
          const row = value as Record<string, unknown>;
          const id = row._row_id as string;
          if (tag === "a" ? !rows.has(id) : rows.has(id)) rows.set(id, row); // an append never replaces a row
        }
      }
    }
  }
  return { manifest, rows, segments };
}

/** The conformance suite's oracle over raw objects. */
export function s3Oracle(client: S3Client, bucket: string, prefix: string): StorageOracle {
  return {
    async rowIds(project, kind, table) {
      const raw = await readRawTable(client, bucket, prefix, project, kind, table);
      if (!raw) {
        // Gone means gone: no object of the table may remain either.
        const left = await listKeys(client, bucket, `${prefix}${project}/${kind}/${table}/`);
        if (left.length > 0) throw new Error(`table ${table} has no manifest but ${left.length} objects remain: ${left.slice(0, 3).join(", ")}`);
        return undefined;
      }
      return [...raw.rows.keys()];
    },
  };
}
