import { type JsonValue, NotFoundError } from "@themis/core";
import { type OpenedResults, type StageResults, allResults, readAllResults, resultId } from "./cache.js";
import type { OutputReader } from "./emission.js";

/**
 * Reads the outputs of reused rows, which a run read from its stages' indexes without
 * them: the first row of a stage that needs one reads that stage's whole results table
 * (once; a cached run with nothing to compute never does).
 */
export function outputReader(stages: ReadonlyMap<string, OpenedResults>): OutputReader {
  const read = new Map<string, Promise<StageResults>>();
  return async (stage, rowId, key) => {
    const opened = stages.get(stage);
    let results = read.get(stage);
    if (results === undefined && opened?.table) {
      results = readAllResults(opened.table);
      read.set(stage, results);
    }
    const all = await results;
    const latest = all?.latest.get(rowId);
    const found = latest?.cache_key === key ? latest : all?.older.get(resultId(rowId, key));
    if (found?.output !== undefined) return found.output as JsonValue;
    // The index named a result the table does not hold: fix the index, and say so.
    if (all && opened?.index && opened.table) await opened.index.rebuild(opened.table, allResults(all));
    throw new NotFoundError(
      `stage "${stage}": its index lists a result of row "${rowId}" that its experiment does not hold; the index was rebuilt from the results: run the pipeline again`,
      { backend: "pipeline" },
    );
  };
}
