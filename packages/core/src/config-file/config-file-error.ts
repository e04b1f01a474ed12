import { InvalidConfigError, type Issue } from "../errors.js";

/**
 * A themis config (or backend config) file that cannot be read or fails validation.
 * `file` names it; `issues` hold every problem found (field path and reason), so a user
 * fixes them all in one go. Code: `ERR_THEMIS_INVALID_CONFIG`.
 */
export class InvalidConfigFileError extends InvalidConfigError {
  /** Absolute path of the file, or undefined for a config given in code. */
  readonly file: string | undefined;
  constructor(message: string, file: string | undefined, issues: readonly Issue[], options: { cause?: unknown; backend?: string } = {}) {
    super(file ? `${message} in ${file}` : message, issues, options);
    this.file = file;
  }
}
