import { ThemisError } from "../errors.js";

/**
 * The storage backend and config to use when `Project.open(name)` names none.
 * Replaced by the config-file loader (themis.config.*): until then, a backend must be given.
 */
export async function defaultStorage(): Promise<{ spec: string; config: Record<string, unknown> }> {
  throw new ThemisError("ERR_THEMIS_INVALID_CONFIG", "no storage backend given: pass one, e.g. Project.open(\"name\", \"local/csv\")");
}
