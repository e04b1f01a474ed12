import type { Project } from "@themis/core";
import { type StoredResult, openResults } from "./cache.js";
import { type Pipeline, experimentOf } from "./define.js";

/**
 * A stage's current results: the latest result row of each dataset row, by dataset row id
 * (a stage's experiment also keeps results computed with earlier code or parameters).
 * Empty when the stage never ran.
 */
export async function stageResults(project: Project, pipeline: Pipeline, stage: string): Promise<Map<string, StoredResult>> {
  // Read from the results table itself (not the index): every entry is a whole stored result
  // (with code_hash, params_hash and pipeline_run set, read from task_key and run_id).
  return (await openResults(project, experimentOf(pipeline, stage), false)).results.latest as unknown as Map<string, StoredResult>;
}
