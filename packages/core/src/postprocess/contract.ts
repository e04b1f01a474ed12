/**
 * The postprocess contract: steps that run on finished results (a summary table, an
 * export to a file, a copy to another storage backend). A third registry kind beside
 * storage and execution: a package lists its postprocessors under `themisBackends` with
 * kind "postprocess", exports a definition made with {@link definePostprocessor}, and the
 * registry finds, validates (zod config) and creates it like any backend.
 *
 * A postprocessor never changes the results it reads: it gets them as an async iterable
 * (so tables larger than memory stream through) and reports what it did as JSON.
 *
 * @module
 */
import type { Project } from "../project.js";
import type { JsonValue, StoredRow } from "../rows.js";

/** What a postprocessor runs on: the result rows of one experiment (or one run of it). */
export interface PostprocessInput {
  /** The project the results belong to (read-only use: a postprocessor must not change them). */
  readonly project: Project;
  /** The experiment table the rows come from. */
  readonly experiment: string;
  /** The run the rows belong to, when the input is one run's results; null for a whole experiment. */
  readonly runId: string | null;
  /** The result rows, streamed in storage order. Iterate once. */
  readonly rows: AsyncIterable<StoredRow>;
  /** Aborted when the caller gives up: stop reading and clean up what was half written. */
  readonly signal: AbortSignal;
}

/** What a postprocessor reports: a line for people and JSON for programs. */
export interface PostprocessReport {
  /** The postprocessor's registry name. */
  readonly postprocessor: string;
  /** One line for a terminal, e.g. `wrote 1 200 rows to out.csv`. */
  readonly message: string;
  /** Result rows it read. */
  readonly rows: number;
  /** Files or locations it wrote (paths, URIs), if any. */
  readonly artifacts: readonly string[];
  /** What it computed (a summary table, counts...), as JSON. */
  readonly data: JsonValue;
}

/** A created postprocessor (what a `postprocess` definition's `create(config)` returns). */
export interface Postprocessor {
  /** Registry name, e.g. "summary". */
  readonly name: string;
  /** Process the rows. Rejects with a ThemisError (code, `backend`, `cause`) when it cannot. */
  run(input: PostprocessInput): Promise<PostprocessReport>;
  /** Release what `create` opened (clients, connections). */
  close?(): Promise<void>;
}
