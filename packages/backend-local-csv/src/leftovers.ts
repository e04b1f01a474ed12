import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isAbandoned, readLock } from "./lock-record.js";
import { BACKEND_NAME } from "./names.js";
import { currentProcess, processRunning } from "@themis/core/backend";

// A rewrite's temp file whose writer still runs on this host is kept; one older than this
// is removed whoever wrote it (a writer on another host, or a pid reused since).
const TEMP_MAX_AGE_MS = 10 * 60_000;

/**
 * Remove what killed writers left beside a table: temp files of interrupted rewrites
 * (`.<name>.csv.<pid>.<hex>.tmp`), lock records never linked into place
 * (`<name>.csv.lock.<token>.new`) and takeover claims of dead breakers
 * (`<name>.csv.lock.claim-*`). Called holding the table's lock, so no rewrite of this
 * table is in progress. Warns once when it removed anything; returns the bytes removed.
 */
export async function removeLeftovers(table: string, staleMs: number): Promise<number> {
  const dir = path.dirname(table);
  const base = path.basename(table);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  const now = Date.now();
  for (const name of names) {
    const file = path.join(dir, name);
    let dead = false;
    const temp = name.startsWith(`.${base}.`) && name.endsWith(".tmp") ? /^(\d+)\./.exec(name.slice(base.length + 2)) : null;
    if (temp) {
      const info = await stat(file).catch(() => undefined);
      dead = info !== undefined && (processRunning({ host: currentProcess.host, pid: Number(temp[1]) }) === false || now - info.mtimeMs > TEMP_MAX_AGE_MS);
      if (dead) removed += info!.size;
    } else if (name.startsWith(`${base}.lock.`) && (name.endsWith(".new") || name.includes(".claim-"))) {
      const seen = readLock(file);
      dead = seen !== undefined && isAbandoned(seen, staleMs, now);
    }
    if (dead) await rm(file, { force: true });
  }
  if (removed > 0) {
    process.emitWarning(`[themis] [${BACKEND_NAME}] ${table}: removed ${removed} bytes of temp files left by killed rewrites`, {
      code: "THEMIS_LEFTOVERS",
      type: "ThemisWarning",
    });
  }
  return removed;
}
