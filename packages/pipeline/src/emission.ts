import type { JsonValue } from "@themis/core";

/** What a stage tells its downstream stages about one row. */
export type Emission = { readonly rowId: string; readonly ok: true; readonly key: string; readonly output: JsonValue } | { readonly rowId: string; readonly ok: false };

/** A row ready for a stage: its input and input hash, or blocked because an upstream row failed. */
export type ReadyRow = { readonly rowId: string; readonly blocked: false; readonly inputHash: string; readonly input: unknown } | { readonly rowId: string; readonly blocked: true };
