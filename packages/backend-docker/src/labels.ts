/** The registry name of this backend. */
export const BACKEND_NAME = "docker";

/**
 * Labels every container carries, so leftovers can be found and cleaned:
 * `docker ps -a --filter label=themis.backend=docker`.
 */
export const LABELS = {
  /** Always "docker". */
  backend: "themis.backend",
  /** The id of the executor instance that created the container. */
  executor: "themis.executor",
  /** "command" or "module". */
  kind: "themis.job.kind",
  /** Position of the item in the input of `map`. */
  index: "themis.job.index",
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: "themis.job.attempt",
  /** On built images: the hash of Dockerfile, build args and context they were built from. */
  contentHash: "themis.content-hash",
} as const;
