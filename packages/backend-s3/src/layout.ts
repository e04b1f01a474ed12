import type { TableKind } from "@themis/core";

/**
 * Where everything lives in the bucket (see the README's "Layout"):
 *
 * ```
 * <prefix><project>/project.json                               project marker
 * <prefix><project>/<kind>/<table>/manifest.json               table manifest (current table id, base, compacted range)
 * <prefix><project>/<kind>/<table>/<tableId>/seg/<seq>.jsonl   immutable segments, one per write
 * <prefix><project>/<kind>/<table>/<tableId>/base/<gen>-<rand>.jsonl  compacted bases
 * ```
 *
 * Names were validated by core (no "/", no "..", no control characters), so each is one
 * key segment. The table id makes a deleted and re-created table start clean even when
 * the delete of the old objects has not finished.
 */
export class Layout {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  project(project: string): string {
    return `${this.prefix}${project}/`;
  }
  projectMarker(project: string): string {
    return `${this.project(project)}project.json`;
  }
  tables(project: string, kind: TableKind): string {
    return `${this.project(project)}${kind}/`;
  }
  table(project: string, kind: TableKind, table: string): TablePaths {
    return new TablePaths(`${this.tables(project, kind)}${table}/`);
  }
}

/** The keys of one table. */
export class TablePaths {
  /** Prefix of everything the table owns, every incarnation included. */
  readonly root: string;
  readonly manifest: string;

  constructor(root: string) {
    this.root = root;
    this.manifest = `${root}manifest.json`;
  }

  /** Prefix of one incarnation's objects. */
  data(tableId: string): string {
    return `${this.root}${tableId}/`;
  }
  segments(tableId: string): string {
    return `${this.data(tableId)}seg/`;
  }
  segment(tableId: string, seq: number): string {
    return `${this.segments(tableId)}${formatSeq(seq)}.jsonl`;
  }
  bases(tableId: string): string {
    return `${this.data(tableId)}base/`;
  }
  base(tableId: string, generation: number, nonce: string): string {
    return `${this.bases(tableId)}${formatSeq(generation)}-${nonce}.jsonl`;
  }
  blobs(tableId: string): string {
    return `${this.data(tableId)}blob/`;
  }
  /** Large batches: the rows go to a uniquely named object that a small segment points at. */
  blob(tableId: string, nonce: string): string {
    return `${this.blobs(tableId)}${nonce}.jsonl`;
  }
}

const SEQ_DIGITS = 16;

/** Zero-padded so that key order is number order (ListObjectsV2 lists keys in UTF-8 order). */
export function formatSeq(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, "0");
}

/** The generation in a base key, or undefined for anything else. */
export function parseBaseGeneration(key: string): number | undefined {
  const m = /\/base\/(\d{16})-[0-9a-f]+\.jsonl$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

/** The sequence number in a segment key, or undefined for anything else. */
export function parseSegmentSeq(key: string): number | undefined {
  const m = /\/seg\/(\d{16})\.jsonl$/.exec(key);
  return m ? Number(m[1]) : undefined;
}
