import type { JsonValue } from "@themis/core";

/**
 * What a stage tells its downstream stages about one row. `output` is undefined for a
 * reused row known from the stage's index only: a downstream row that runs reads it then.
 */
export type Emission =
  | { readonly rowId: string; readonly ok: true; readonly key: string; readonly output: JsonValue | undefined }
  | { readonly rowId: string; readonly ok: false };

/**
 * A row ready for a stage: its input hash and its input (or, when an upstream output was not
 * read, `load` to read it: only a row that runs needs it), or blocked because an upstream row failed.
 */
export type ReadyRow =
  | { readonly rowId: string; readonly blocked: false; readonly inputHash: string; readonly input: unknown; readonly load?: () => Promise<unknown> }
  | { readonly rowId: string; readonly blocked: true };

/** The output of a stage's row under a cache key, read from its results table. */
export type OutputReader = (stage: string, rowId: string, key: string) => Promise<JsonValue>;
