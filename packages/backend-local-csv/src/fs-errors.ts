import { fileSystemError } from "@themis/core/backend";
import { BACKEND_NAME } from "./names.js";

/**
 * Run one storage operation with its file-system failures (EACCES, ENOSPC, EISDIR, ...)
 * turned into Themis errors by core's `fileSystemError`: the boundary between this
 * backend's files and its users, applied once per operation instead of around each call.
 * `action` names what was being done, e.g. `append to dataset "qa" of project "p"`.
 * Errors the operation already made (NOT_FOUND of a table, CORRUPT_DATA) pass unchanged.
 */
export async function mapFsErrors<T>(action: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw fileSystemError(error, { backend: BACKEND_NAME, action });
  }
}

/** {@link mapFsErrors} for a stream of rows: a failure while reading is mapped too. */
export async function* mapFsErrorsOf<T>(action: string, rows: () => AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* rows();
  } catch (error) {
    throw fileSystemError(error, { backend: BACKEND_NAME, action });
  }
}
