import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { once } from "node:events";
import path from "node:path";
import { ROW_ID, type StoredRow } from "@themis/core";
import { STRING_MARKER, startsLikeFormula } from "@themis/csv-codec";

/** Formats `themis datasets export` writes. */
export type ExportFormat = "csv" | "jsonl";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["csv", "jsonl"];

/** A table's rows, readable twice (CSV needs every column before the first line). */
export type RowSource = () => AsyncIterable<StoredRow>;

/** Options of {@link writeRows}. */
export interface WriteRowsOptions {
  /**
   * CSV only: write text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+1+1`,
   * `@cmd`) as it is. Default false: such text gets a leading `'`, as in the stored files,
   * so opening the export in a spreadsheet runs nothing.
   */
  keepFormulas?: boolean;
}

// RFC 4180: quote a field holding a separator, a quote, a line break or edge spaces.
function csvField(value: unknown, keepFormulas: boolean): string {
  let text = value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (!keepFormulas && typeof value === "string" && startsLikeFormula(text)) text = STRING_MARKER + text;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Write rows as CSV (a header of every key seen, `_row_id` first; nested values as JSON
 * text; formulas neutralised unless `keepFormulas`) or JSON Lines (one row per line,
 * exact). Returns the number of rows written.
 */
export async function writeRows(rows: RowSource, format: ExportFormat, out: NodeJS.WritableStream, options: WriteRowsOptions = {}): Promise<number> {
  const keep = options.keepFormulas === true;
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, "drain");
  };
  let count = 0;
  if (format === "jsonl") {
    for await (const row of rows()) {
      await write(`${JSON.stringify(row)}\n`);
      count++;
    }
    return count;
  }
  const columns = new Set<string>([ROW_ID]);
  for await (const row of rows()) for (const key of Object.keys(row)) columns.add(key);
  const header = [...columns];
  await write(`${header.map((c) => csvField(c, keep)).join(",")}\r\n`);
  for await (const row of rows()) {
    await write(`${header.map((c) => csvField((row as Record<string, unknown>)[c], keep)).join(",")}\r\n`);
    count++;
  }
  return count;
}

// Makes the rename durable. Not every platform can open a directory (Windows): best effort.
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  try {
    await handle?.sync();
  } catch {
    // EISDIR / EPERM / EINVAL where directories cannot be fsynced.
  } finally {
    await handle?.close();
  }
}

/**
 * Write rows to a file atomically: into a temp file beside it, fsynced (`flush`) before it
 * is closed, then renamed over the target, so readers see the old file or the complete new
 * one, never a partial export; the folder is fsynced after the rename.
 */
export async function exportToFile(rows: RowSource, format: ExportFormat, file: string, options: WriteRowsOptions = {}): Promise<number> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const stream = createWriteStream(temp, { flags: "wx", flush: true });
  try {
    await once(stream, "open");
    const count = await writeRows(rows, format, stream, options);
    stream.end();
    await once(stream, "close");
    await rename(temp, file);
    await syncDirectory(path.dirname(file));
    return count;
  } catch (error) {
    stream.destroy();
    await rm(temp, { force: true });
    throw error;
  }
}
