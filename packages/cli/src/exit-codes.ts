/** The command did what was asked. */
export const EXIT_OK = 0;
/** The command ran and failed: invalid config, unreachable backend, missing table, failed rows. */
export const EXIT_FAILED = 1;
/** The command line itself is wrong: unknown command or option, missing argument, bad value. */
export const EXIT_USAGE = 2;

/** A mistake in how the command was called; exits with {@link EXIT_USAGE}. */
export class UsageError extends Error {
  readonly code = "ERR_THEMIS_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
