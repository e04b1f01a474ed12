// Reads what really reached the container, with the raw SDK and a fold written apart from
// the backend's: the manifest, then every segment of the table's incarnation, in order.
import type { ContainerClient } from "@azure/storage-blob";
import type { StorageOracle } from "@themis/conformance";
import type { TableKind } from "@themis/core";
import { Layout } from "../../src/layout.js";

async function text(raw: ContainerClient, name: string): Promise<string | undefined> {
  try {
    return (await raw.getBlobClient(name).downloadToBuffer()).toString("utf8");
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Row ids of a table as stored, folding the segments' ops line by line. */
export function azureOracle(raw: ContainerClient, prefix: string): StorageOracle {
  const layout = new Layout(prefix);
  return {
    async rowIds(project: string, kind: TableKind, table: string) {
      const manifest = await text(raw, layout.manifest(project, kind, table));
      if (manifest === undefined) return undefined;
      const { tableId } = JSON.parse(manifest) as { tableId: string };
      const ids: string[] = [];
      for await (const blob of raw.listBlobsFlat({ prefix: layout.segments(project, kind, table, tableId) })) {
        const lines = (await text(raw, blob.name))!.trim().split("\n").slice(1);
        for (const line of lines) {
          const [op, body] = JSON.parse(line) as [string, { _row_id: string } | string];
          if (op === "a") ids.push((body as { _row_id: string })._row_id);
          if (op === "d") ids.splice(ids.indexOf(body as string), 1);
        }
      }
      return ids;
    },
  };
}
