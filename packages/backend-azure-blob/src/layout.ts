import type { TableKind } from "@themis/core";

/**
 * Where everything lives in the container (see the README's "Layout"):
 *
 * ```
 * <prefix>projects/<project>.json                                   project marker
 * <prefix>p/<project>/tables/<kind>/<table>.json                    table manifest (its current tableId)
 * <prefix>p/<project>/data/<kind>/<table>/<tableId>/<seq>.jsonl     immutable segments, one per write
 * ```
 *
 * Names are percent-encoded (dots too), so a name is one path segment that Azure never
 * rewrites (it trims trailing dots of segments) and listings decode back to the exact name.
 */
export class Layout {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  projects(): string {
    return `${this.prefix}projects/`;
  }
  projectMarker(project: string): string {
    return `${this.projects()}${encodeName(project)}.json`;
  }
  project(project: string): string {
    return `${this.prefix}p/${encodeName(project)}/`;
  }
  manifests(project: string, kind: TableKind): string {
    return `${this.project(project)}tables/${kind}/`;
  }
  manifest(project: string, kind: TableKind, table: string): string {
    return `${this.manifests(project, kind)}${encodeName(table)}.json`;
  }
  /** Prefix of every incarnation's segments. */
  tableData(project: string, kind: TableKind, table: string): string {
    return `${this.project(project)}data/${kind}/${encodeName(table)}/`;
  }
  /** Prefix of one incarnation's segments. */
  segments(project: string, kind: TableKind, table: string, tableId: string): string {
    return `${this.tableData(project, kind, table)}${tableId}/`;
  }
}

const SEQ_DIGITS = 16;

/** Zero-padded so that name order is number order (listings are in name order). */
export function segmentName(segmentsPrefix: string, seq: number): string {
  return `${segmentsPrefix}${String(seq).padStart(SEQ_DIGITS, "0")}.jsonl`;
}

/** The sequence number in a segment name, or undefined for anything else. */
export function parseSegmentSeq(name: string): number | undefined {
  const m = /\/(\d{16})\.jsonl$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Percent-encoding that also encodes `.` and the other characters encodeURIComponent keeps. */
export function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/[.!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The name in `<listPrefix><encoded>.json`, or undefined for a blob that is not one. */
export function decodeListedName(blobName: string, listPrefix: string): string | undefined {
  const rest = blobName.slice(listPrefix.length);
  if (!blobName.startsWith(listPrefix) || !rest.endsWith(".json") || rest.includes("/")) return undefined;
  try {
    return decodeURIComponent(rest.slice(0, -".json".length));
  } catch {
    return undefined;
  }
}
