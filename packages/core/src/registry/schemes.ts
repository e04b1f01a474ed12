import type { BackendDefinition } from "../definition.js";
import { DuplicateBackendError, InvalidConfigError, ThemisError } from "../errors.js";
import type { Diagnostic } from "./diagnostic.js";
import type { Candidate } from "./registry.js";

function label(c: Candidate): string {
  return c.manifest ? `"${c.name}" (${c.manifest.packageName}@${c.manifest.packageVersion ?? "?"})` : `"${c.name}" (${c.source})`;
}

function advice(scheme: string): string {
  return `use the backend by name instead of a ${scheme}:// URI, uninstall or skip (backends.skip) all but one, or register the one you want with registry.register()`;
}

/**
 * A URI scheme belongs to one backend of a kind. When installed packages claim the same
 * scheme in their manifests, each gets a `duplicate` diagnostic (so `themis backends
 * list` shows it before any URI is used): a package installed later must never capture
 * URIs silently.
 */
export function schemeClashes(candidates: readonly Candidate[]): Diagnostic[] {
  const byScheme = new Map<string, Candidate[]>();
  for (const c of candidates) {
    for (const scheme of new Set(c.schemes ?? [])) {
      const key = `${c.kind}\0${scheme.toLowerCase()}`;
      byScheme.set(key, [...(byScheme.get(key) ?? []), c]);
    }
  }
  const out: Diagnostic[] = [];
  for (const [key, list] of byScheme) {
    if (list.length < 2) continue;
    const scheme = key.split("\0")[1]!;
    const message = `URI scheme "${scheme}://" is claimed by ${list.map(label).join(" and ")}: such URIs are refused until one remains; ${advice(scheme)}`;
    for (const c of list) out.push(duplicate(c, message));
  }
  return out;
}

/**
 * An installed backend named like a built-in one is never used (built-ins win, so that a
 * package cannot replace "local" or "memory" by being installed): a diagnostic says so
 * instead of ignoring it silently.
 */
export function shadowedByBuiltins(candidates: readonly Candidate[], builtins: readonly Candidate[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of candidates) {
    if (!builtins.some((b) => b.name === c.name)) continue;
    const message = `${label(c)} has the name of a built-in backend, which always wins: it is never used. Rename it, or register it with registry.register() to replace the built-in on purpose`;
    out.push(duplicate(c, message));
  }
  return out;
}

/**
 * The backend a URI with `scheme` goes to, among those claiming it: the only one, or the
 * only one registered in code (explicit wins). Several otherwise: DuplicateBackendError
 * rather than a pick by install order.
 */
export function pickClaimer(scheme: string, claimers: readonly Candidate[]): Candidate | undefined {
  if (claimers.length <= 1) return claimers[0];
  const registered = claimers.filter((c) => c.source === "registered");
  if (registered.length === 1) return registered[0];
  const names = claimers.map(label);
  throw new DuplicateBackendError(`URI scheme "${scheme}://" is claimed by ${names.length} backends: ${names.join(", ")}. ${advice(scheme)}`, names);
}

/** A backend's `configFromUri`, with anything it throws that is not a Themis error made INVALID_CONFIG. */
export function configFromUri(definition: BackendDefinition, url: URL): Record<string, unknown> {
  try {
    return definition.configFromUri!(url);
  } catch (cause) {
    if (cause instanceof ThemisError) throw cause;
    // A URIError from decodeURIComponent on a malformed "%" escape, typically.
    const what = cause instanceof URIError ? "a malformed percent-escape" : ((cause as Error)?.name ?? "an error");
    throw new InvalidConfigError(`invalid config for backend "${definition.name}"`, [{ path: "", message: `the URI cannot be read: ${what}` }], {
      backend: definition.name,
      cause,
    });
  }
}

/** A "duplicate" diagnostic about candidate `c`, kept on it too. */
function duplicate(c: Candidate, message: string): Diagnostic {
  const diagnostic: Diagnostic = {
    backend: c.name,
    kind: c.kind,
    package: c.manifest!.packageName,
    version: c.manifest!.packageVersion,
    path: c.manifest!.packageDir,
    phase: "duplicate",
    message,
  };
  c.diagnostics.push(diagnostic);
  return diagnostic;
}
