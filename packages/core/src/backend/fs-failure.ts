import { type FailureKind, asThemisError, backendError } from "./failure.js";

/** The `code` of a Node.js system error (`ENOENT`, `EACCES`, ...), or undefined when `error` is not one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // System codes are E + capitals (EACCES, EAI_AGAIN); Node's own ERR_* codes are not errnos.
  return typeof code === "string" && /^E(?!RR_)[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/** What one errno means: the failure kind and what the user should do about it. */
interface ErrnoMeaning {
  readonly kind: FailureKind;
  readonly todo: string;
}

const PERMISSIONS = "check the folder's permissions: the user running this process needs read and write access to it";
const BUSY = "the operation may be retried";
const TOO_MANY_FILES = "too many open files: retry later, or raise the limit (`ulimit -n`)";
const NO_SPACE = "free space on that disk (or raise the quota), then retry";
const WRONG_TYPE = "something else is at that path: move it away, or point the config at another folder";

/**
 * The table of core's README "One meaning per code" for file-system errors. Why each kind:
 * - a refused permission, a read-only disk, a path that is not what it should be: the same
 *   call keeps failing until the user changes the setup, so it is a config problem
 *   (INVALID_CONFIG naming the folder's config field), not retryable;
 * - a full disk is UNAVAILABLE but **not** retryable: a retry loop's seconds free no
 *   space; the user frees space and then retries (a backend leaves nothing half-written);
 * - too many open files, a busy or interrupted call: UNAVAILABLE and retryable, the
 *   next attempt usually succeeds.
 */
const MEANINGS: ReadonlyMap<string, ErrnoMeaning> = new Map(
  Object.entries({
    EACCES: { kind: "config", todo: PERMISSIONS },
    // On Windows, EPERM also comes from a file another program holds open (an editor, a virus scanner).
    EPERM: { kind: "config", todo: `${PERMISSIONS} (on Windows: close programs that hold the file open)` },
    EROFS: { kind: "config", todo: "the file system is mounted read-only: mount it read-write, or point the config at a writable folder" },
    ENOTDIR: { kind: "config", todo: WRONG_TYPE },
    EISDIR: { kind: "config", todo: WRONG_TYPE },
    ENAMETOOLONG: { kind: "config", todo: "the path is too long for the file system: use a shorter folder or name" },
    ELOOP: { kind: "config", todo: "a symbolic link in the path points in a loop: fix or remove it" },
    ENOSPC: { kind: "refused", todo: NO_SPACE },
    EDQUOT: { kind: "refused", todo: NO_SPACE },
    EFBIG: { kind: "too-large", todo: "the file reached the file system's size limit (or `ulimit -f`): split the data or raise the limit" },
    EIO: { kind: "refused", todo: "the disk (or network mount) reported an I/O error: check it, then retry" },
    EMFILE: { kind: "unavailable", todo: TOO_MANY_FILES },
    ENFILE: { kind: "unavailable", todo: TOO_MANY_FILES },
    EAGAIN: { kind: "unavailable", todo: BUSY },
    EBUSY: { kind: "unavailable", todo: `the file is busy: ${BUSY}` },
    EINTR: { kind: "unavailable", todo: BUSY },
    ENOENT: { kind: "not-found", todo: "it does not exist (removed by someone else?)" },
    EEXIST: { kind: "already-exists", todo: "it exists already" },
  } satisfies Record<string, ErrnoMeaning>),
);

/**
 * The kind of failure a Node.js file-system errno means (why, for each: core's README, "One
 * meaning per code"): EACCES/EPERM/EROFS/ENOTDIR/EISDIR/ENAMETOOLONG/ELOOP `config`; ENOSPC/EDQUOT/EIO
 * `refused`; EFBIG `too-large`; EMFILE/ENFILE/EAGAIN/EBUSY/EINTR `unavailable`; ENOENT
 * `not-found` and EEXIST `already-exists` in their literal sense; any other code `refused`.
 */
export function failureKindOfErrno(code: string | undefined): FailureKind {
  return (code === undefined ? undefined : MEANINGS.get(code)?.kind) ?? "refused";
}

/** Options of {@link fileSystemError}. */
export interface FileSystemErrorOptions {
  /** The backend's registry name: prefixes the message as `[themis] [name]`. */
  readonly backend: string;
  /** What was being done, in the user's words: `append to dataset "qa" of project "p"`. */
  readonly action: string;
  /** The config field naming the folder, for the `config` kinds' issue (default `"rootDir"`). */
  readonly field?: string;
  /**
   * The message of the NOT_FOUND thrown for ENOENT, when a missing path means the thing the
   * user asked for is gone (`dataset "qa" does not exist`). Without it the message is the
   * action and Node's own text.
   */
  readonly notFound?: string;
}

/**
 * `error`, thrown by `node:fs` while doing `options.action`, as the Themis error a user can
 * act on: the code of its {@link failureKindOfErrno kind}, a message naming the action,
 * Node's text (the errno, the system call and the path: paths are no secret, file contents
 * never appear) and what to do; `cause` is `error` itself.
 *
 * A Themis error comes back as it is. Any other error without an errno (a bug, a parse
 * failure) also comes back unchanged: it is no file-system failure, and wrapping it would
 * hide what it is. Hence the `unknown` return: `throw` it.
 *
 * Whether ENOENT (or EEXIST) means what the contract calls NOT_FOUND (ALREADY_EXISTS) is the
 * caller's decision: a missing table file is NOT_FOUND of that table, a missing lock folder
 * may be something else. Check those codes first where they carry that meaning, or pass
 * `notFound`.
 *
 * @example
 * ```ts
 * await appendFile(file, text).catch((error: unknown) => {
 *   throw fileSystemError(error, { backend: "my/files", action: `append to ${label}`, notFound: `${label} does not exist` });
 * });
 * ```
 */
export function fileSystemError(error: unknown, options: FileSystemErrorOptions): unknown {
  const code = errnoOf(error);
  if (asThemisError(error) || code === undefined) return error;
  const meaning = MEANINGS.get(code);
  const kind = meaning?.kind ?? "refused";
  const text = error instanceof Error ? error.message : code;
  const base = { backend: options.backend, cause: error };
  if (kind === "not-found" && options.notFound !== undefined) return backendError(kind, options.notFound, base);
  if (kind === "config" && meaning) {
    // Node's text (errno, call, path) goes in the issue, which the message lists below the fix.
    return backendError(kind, `cannot ${options.action}: ${meaning.todo}`, { ...base, field: options.field ?? "rootDir", issue: text });
  }
  return backendError(kind, `cannot ${options.action}: ${text}${meaning ? `: ${meaning.todo}` : ""}`, base);
}
