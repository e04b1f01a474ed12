import { CorruptDataError } from "@themis/core";
import { BACKEND_NAME } from "./config.js";

/** The table manifest: which incarnation of the table is current. */
export interface Manifest {
  tableId: string;
}

const MAGIC = "azure-blob-table";

export function encodeManifest(manifest: Manifest): string {
  return JSON.stringify({ themis: MAGIC, v: 1, tableId: manifest.tableId });
}

/** Parse a manifest; anything else is CorruptDataError naming the blob. */
export function parseManifest(text: string, blobName: string): Manifest {
  let value: { themis?: unknown; v?: unknown; tableId?: unknown } | undefined;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    value = undefined;
  }
  if (value?.themis !== MAGIC || value.v !== 1 || typeof value.tableId !== "string" || !/^[0-9a-f-]{36}$/.test(value.tableId)) {
    throw new CorruptDataError(`blob "${blobName}" is not a table manifest this backend wrote`, { backend: BACKEND_NAME });
  }
  return { tableId: value.tableId };
}
