import { CorruptDataError } from "@themis/core";
import { BACKEND_NAME } from "./config.js";

/**
 * Objects compactions superseded, deleted by a later compaction once the grace period is
 * over. Compactions close together share one entry, so the manifest stays small.
 */
export interface RetiredObjects {
  /** When the first of them was superseded (ms since the epoch, the compactor's clock). */
  since: number;
  /** When the last of them was superseded: the grace period counts from here. */
  at: number;
  /** Every segment numbered up to this one. */
  segmentsUpTo: number;
  /** Every base of a generation up to this one (including bases of compactors that lost or died). */
  generationsUpTo: number;
  /** Blobs that folded segments pointed at. */
  blobs: string[];
}

/**
 * The table's small mutable object, replaced only with If-Match. It names the table's
 * current incarnation and which segments its compacted base already holds.
 */
export interface Manifest {
  themis: "s3-table";
  v: 1;
  /** Random id of this incarnation of the table; its objects live under `<table>/<tableId>/`. */
  tableId: string;
  /** Number of compactions so far. */
  generation: number;
  /** The compacted rows (segments 1..upTo folded), or null before the first compaction. */
  base: { key: string; rows: number } | null;
  /** Highest segment folded into `base` (0: none). Readers list segments after it. */
  upTo: number;
  retired: RetiredObjects[];
}

/** A manifest as read, with the ETag to make the next replacement conditional on. */
export interface ManifestVersion {
  value: Manifest;
  etag: string;
}

/** The manifest of a new, empty table. */
export function emptyManifest(tableId: string): Manifest {
  return { themis: "s3-table", v: 1, tableId, generation: 0, base: null, upTo: 0, retired: [] };
}

/** Parse and check a manifest object. */
export function parseManifest(body: string, where: string): Manifest {
  let value: Manifest;
  try {
    value = JSON.parse(body) as Manifest;
  } catch (cause) {
    throw new CorruptDataError(`${where}: the manifest is not valid JSON`, { backend: BACKEND_NAME, cause });
  }
  if (value?.themis !== "s3-table") throw new CorruptDataError(`${where}: not a Themis table manifest`, { backend: BACKEND_NAME });
  if (value.v !== 1)
    throw new CorruptDataError(`${where}: manifest format version ${String(value.v)} is newer than this package: upgrade @themis/backend-s3`, {
      backend: BACKEND_NAME,
    });
  if (typeof value.tableId !== "string" || !Number.isInteger(value.upTo) || !Array.isArray(value.retired)) {
    throw new CorruptDataError(`${where}: the manifest is missing fields`, { backend: BACKEND_NAME });
  }
  return value;
}
