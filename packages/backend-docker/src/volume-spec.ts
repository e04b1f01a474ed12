import path from "node:path";

/** One parsed entry of the `volumes` option. */
export interface VolumeSpec {
  /** "bind" for a host path, "volume" for a named Docker volume. */
  readonly type: "bind" | "volume";
  /** Absolute host path (bind) or volume name. */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Parse `"host:container[:ro|rw]"` (or `"volume-name:container[:ro|rw]"`). Host paths must be
 * absolute: a relative path would depend on the folder the program happens to run in.
 * Returns the spec, or the reason it is invalid.
 */
export function parseVolumeSpec(text: string): VolumeSpec | { error: string } {
  const parts = text.split(":");
  if (parts.length < 2 || parts.length > 3) return { error: 'expected "host:container" or "host:container:ro|rw"' };
  const [source = "", target = "", mode = "rw"] = parts;
  if (mode !== "ro" && mode !== "rw") return { error: `mode must be "ro" or "rw", got "${mode}"` };
  let type: VolumeSpec["type"];
  if (path.posix.isAbsolute(source)) type = "bind";
  else if (VOLUME_NAME.test(source)) type = "volume";
  else return { error: `host side "${source}" must be an absolute path or a volume name (relative paths are not allowed)` };
  if (type === "bind" && source.split("/").includes("..")) return { error: `host path "${source}" must not contain ".."` };
  if (!path.posix.isAbsolute(target)) return { error: `container path "${target}" must be absolute` };
  if (target.split("/").includes("..")) return { error: `container path "${target}" must not contain ".."` };
  const normalizedTarget = path.posix.normalize(target).replace(/(.)\/$/, "$1");
  if (normalizedTarget === "/") return { error: 'container path must not be "/"' };
  const normalizedSource = type === "bind" ? path.posix.normalize(source).replace(/(.)\/$/, "$1") : source;
  return { type, source: normalizedSource, target: normalizedTarget, readOnly: mode === "ro" };
}
