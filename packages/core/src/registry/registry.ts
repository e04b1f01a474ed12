import { pathToFileURL } from "node:url";
import {
  BackendLoadError,
  DuplicateBackendError,
  IncompatibleContractError,
  InvalidConfigError,
  InvalidDefinitionError,
  type ThemisError,
  UnknownBackendError,
} from "../errors.js";
import { type BackendDefinition, type BackendInstances, type BackendKind, SUPPORTED_CONTRACT_VERSIONS, definitionProblems } from "../definition.js";
import { didYouMean, parseBackendConfig } from "../backend-config.js";
import type { Diagnostic } from "./diagnostic.js";
import { type ManifestEntry, discoverManifests, findHostPackageDir } from "./manifest.js";
import { KNOWN_BACKEND_PACKAGES, KNOWN_SCHEMES } from "./known.js";
import { BUILTIN_BACKENDS } from "../builtins.js";
import { DeadlineError, assertTimeoutMs, withDeadline } from "../deadline.js";
import { configFromUri, pickClaimer, schemeClashes, shadowedByBuiltins } from "./schemes.js";
import { redactUrls } from "../uri-text.js";

/** Where a backend came from. */
export type BackendSource = "builtin" | "registered" | "discovered";

/** One backend as `themis backends list` shows it. */
export interface BackendInfo {
  name: string;
  kind: BackendKind;
  source: BackendSource;
  package?: string;
  version?: string;
  description?: string;
  schemes: string[];
  /** `not-loaded`: found in a manifest, module not imported yet. */
  status: "ok" | "not-loaded" | "broken";
  diagnostics: Diagnostic[];
}

/** @internal One backend the registry knows of, before or after loading it. */
export interface Candidate {
  name: string;
  kind: BackendKind;
  source: BackendSource;
  manifest?: ManifestEntry;
  schemes?: string[];
  definition?: BackendDefinition;
  loading?: Promise<BackendDefinition>;
  error?: ThemisError;
  diagnostics: Diagnostic[];
}

export interface RegistryOptions {
  /** Folder of the host application; its nearest package.json is read. Default: process.cwd(). */
  cwd?: string;
  /** Read installed packages' `themisBackends` manifests. Default true. */
  discover?: boolean;
  /** Backends available without installing anything. Default: memory, local, sequential. */
  builtins?: readonly BackendDefinition[];
  /**
   * Only these installed (discovered) backends are used; the rest are ignored as if not
   * installed. Built-in and registered backends are always available. Default: all.
   */
  allow?: readonly string[];
  /** Installed (discovered) backends to ignore, e.g. a broken one you do not need. */
  skip?: readonly string[];
  /**
   * How long importing a discovered backend's entry module may take before it is a
   * `load` diagnostic (a module whose top-level await never settles would hang every
   * command). Default: `THEMIS_BACKEND_LOAD_TIMEOUT_MS` from the environment, else 30000 ms.
   */
  loadTimeoutMs?: number;
}

/** Default of {@link RegistryOptions.loadTimeoutMs}. */
export const DEFAULT_LOAD_TIMEOUT_MS = 30_000;

/** "a storage backend", "an execution backend", "a postprocessor": for messages. */
function kindLabel(kind: BackendKind): string {
  return kind === "postprocess" ? "a postprocessor" : kind === "execution" ? "an execution backend" : "a storage backend";
}

/** A backend spec is a URI when it has a scheme followed by "://". */
export function isUri(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec);
}

function check(definition: unknown, where: string, expectedName?: string, expectedKind?: BackendKind): BackendDefinition {
  const problems = definitionProblems(definition);
  if (problems.length > 0) throw new InvalidDefinitionError(`${where} does not export a valid backend definition: ${problems.join("; ")}`);
  const d = definition as BackendDefinition;
  if (!SUPPORTED_CONTRACT_VERSIONS.includes(d.contractVersion)) {
    const newer = d.contractVersion > Math.max(...SUPPORTED_CONTRACT_VERSIONS);
    throw new IncompatibleContractError(
      `${where} implements backend contract version ${d.contractVersion}, but this @themis/core supports ${SUPPORTED_CONTRACT_VERSIONS.join(", ")}: ` +
        (newer ? "upgrade @themis/core" : "upgrade the backend package, or use an older @themis/core"),
      { backend: d.name },
    );
  }
  if (expectedName !== undefined && d.name !== expectedName) {
    throw new InvalidDefinitionError(`${where} declares backend "${expectedName}" in package.json but its definition is named "${d.name}"`);
  }
  if (expectedKind !== undefined && d.kind !== expectedKind) {
    throw new InvalidDefinitionError(`${where} declares "${expectedName}" as ${expectedKind} in package.json but its definition is ${d.kind}`);
  }
  return d;
}

/**
 * Finds, loads and creates backends. Built-in backends are always there; installed
 * packages are found through the `themisBackends` field of their package.json (read
 * without importing code: a module is imported the first time its backend is used);
 * {@link Registry.register} adds one explicitly (bundlers, tests) and wins over the rest.
 */
export class Registry {
  readonly hostDir: string | undefined;
  readonly #discover: boolean;
  readonly #builtins: Candidate[];
  readonly #registered = new Map<string, Candidate>();
  readonly #allow: ReadonlySet<string> | undefined;
  readonly #skip: ReadonlySet<string>;
  readonly #loadTimeoutMs: number;
  #discovered: { candidates: Candidate[]; diagnostics: Diagnostic[] } | undefined;

  constructor(options: RegistryOptions = {}) {
    this.#discover = options.discover ?? true;
    this.hostDir = this.#discover ? findHostPackageDir(options.cwd ?? process.cwd()) : undefined;
    this.#allow = options.allow ? new Set(options.allow) : undefined;
    this.#skip = new Set(options.skip ?? []);
    const fromEnv = process.env.THEMIS_BACKEND_LOAD_TIMEOUT_MS;
    this.#loadTimeoutMs = options.loadTimeoutMs ?? (fromEnv ? Number(fromEnv) : DEFAULT_LOAD_TIMEOUT_MS);
    assertTimeoutMs("loadTimeoutMs", this.#loadTimeoutMs);
    this.#builtins = (options.builtins ?? BUILTIN_BACKENDS).map((definition) => ({
      name: definition.name,
      kind: definition.kind,
      source: "builtin" as const,
      definition: check(definition, `built-in backend "${definition.name}"`),
      diagnostics: [],
    }));
  }

  /** Add a backend definition explicitly. It replaces any built-in or discovered one of that name. */
  register(definition: BackendDefinition): this {
    const d = check(definition, `backend "${(definition as { name?: string })?.name ?? "?"}" passed to register()`);
    this.#registered.set(d.name, { name: d.name, kind: d.kind, source: "registered", definition: d, diagnostics: [] });
    return this;
  }

  #discovery(): { candidates: Candidate[]; diagnostics: Diagnostic[] } {
    if (this.#discovered) return this.#discovered;
    const candidates: Candidate[] = [];
    const diagnostics: Diagnostic[] = [];
    if (this.#discover && this.hostDir) {
      const found = discoverManifests(this.hostDir);
      diagnostics.push(...found.diagnostics);
      // A package may be reachable twice (dependency and the host itself): keep one.
      const seen = new Set<string>();
      for (const m of found.entries) {
        if (!this.#isAllowed(m.name)) continue;
        const key = `${m.packageName}\0${m.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        candidates.push({ name: m.name, kind: m.kind, source: "discovered", manifest: m, ...(m.schemes ? { schemes: m.schemes } : {}), diagnostics: [] });
      }
      const byName = new Map<string, Candidate[]>();
      for (const c of candidates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
      for (const [name, list] of byName) {
        if (list.length < 2) continue;
        const pkgs = list.map((c) => `${c.manifest!.packageName}@${c.manifest!.packageVersion ?? "?"}`);
        const error = new DuplicateBackendError(
          `backend "${name}" is claimed by ${pkgs.length} installed packages: ${pkgs.join(", ")}. Uninstall all but one, or register the one you want with registry.register()`,
          pkgs,
        );
        for (const c of list) {
          c.error = error;
          const diagnostic: Diagnostic = {
            backend: name,
            kind: c.kind,
            package: c.manifest!.packageName,
            version: c.manifest!.packageVersion,
            path: c.manifest!.packageDir,
            phase: "duplicate",
            message: error.message,
          };
          c.diagnostics.push(diagnostic);
          diagnostics.push(diagnostic);
        }
      }
    }
    diagnostics.push(...schemeClashes(candidates.filter((c) => !c.error)), ...shadowedByBuiltins(candidates, this.#builtins));
    this.#discovered = { candidates, diagnostics };
    return this.#discovered;
  }

  /** Whether a discovered backend passes the `allow` / `skip` options. */
  #isAllowed(name: string): boolean {
    return !this.#skip.has(name) && (this.#allow === undefined || this.#allow.has(name));
  }

  /** Every candidate, the winning one per name first: registered > built-in > discovered. */
  #all(): Candidate[] {
    const out = new Map<string, Candidate>();
    for (const c of this.#discovery().candidates) if (!out.has(c.name)) out.set(c.name, c);
    for (const c of this.#builtins) out.set(c.name, c);
    for (const c of this.#registered.values()) out.set(c.name, c);
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Problems found while discovering and loading backends so far. */
  diagnostics(): Diagnostic[] {
    const loadDiagnostics = this.#discovery().candidates.flatMap((c) => c.diagnostics.filter((d) => d.phase !== "duplicate"));
    return [...this.#discovery().diagnostics, ...loadDiagnostics];
  }

  async #load(c: Candidate): Promise<BackendDefinition> {
    if (c.definition) return c.definition;
    if (c.error) throw c.error;
    const m = c.manifest!;
    c.loading ??= (async () => {
      const where = `${m.packageName}@${m.packageVersion ?? "?"} (${m.entryPath})`;
      const diag = (phase: Diagnostic["phase"], error: ThemisError): never => {
        c.error = error;
        c.diagnostics.push({
          backend: c.name,
          kind: c.kind,
          package: m.packageName,
          version: m.packageVersion,
          path: m.entryPath,
          phase,
          message: error.message,
          cause: error.cause,
        });
        throw error;
      };
      let mod: Record<string, unknown>;
      try {
        mod = (await withDeadline(import(pathToFileURL(m.entryPath).href), this.#loadTimeoutMs, `importing ${where}`)) as Record<string, unknown>;
      } catch (cause) {
        if (cause instanceof DeadlineError) {
          return diag(
            "load",
            new BackendLoadError(
              `backend "${c.name}": entry module ${where} did not finish loading within ${this.#loadTimeoutMs} ms (a top-level await that never settles?). Fix or uninstall the package, or skip it with backends.skip`,
              { cause },
            ),
          );
        }
        const missing = (cause as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((cause as Error).message).includes(m.entryPath);
        return diag(
          "load",
          new BackendLoadError(
            missing
              ? `backend "${c.name}": entry module ${where} does not exist. Is the package built? Check "themisBackends" in its package.json`
              : `backend "${c.name}": entry module ${where} failed to load: ${(cause as Error)?.message ?? String(cause)}`,
            { cause },
          ),
        );
      }
      const exported = [
        mod.default,
        ...Object.entries(mod)
          .filter(([k]) => k !== "default")
          .map(([, v]) => v),
      ];
      const match = exported.find((v) => (v as { name?: unknown } | null)?.name === c.name && (v as { brand?: unknown }).brand !== undefined) ?? mod.default;
      try {
        c.definition = check(match, `backend "${c.name}" from ${where}`, c.name, c.kind);
      } catch (error) {
        return diag(error instanceof IncompatibleContractError ? "contract" : "definition", error as ThemisError);
      }
      return c.definition;
    })();
    return c.loading;
  }

  /**
   * Every known backend. With `load: true` each discovered module is imported so its
   * status, schemes and description are known (broken ones report their diagnostics).
   */
  async list(options: { load?: boolean } = {}): Promise<BackendInfo[]> {
    const discovery = this.#discovery();
    const infos: BackendInfo[] = [];
    const all = this.#all();
    const candidates = [...all, ...discovery.candidates.filter((c) => !all.includes(c) && c.error)];
    // In parallel: each load has its own deadline, and one stuck plugin must not add up.
    if (options.load) await Promise.all(candidates.map((c) => this.#load(c).catch(() => undefined)));
    for (const c of candidates) {
      const d = c.definition;
      infos.push({
        name: c.name,
        kind: c.kind,
        source: c.source,
        ...(c.manifest ? { package: c.manifest.packageName, ...(c.manifest.packageVersion ? { version: c.manifest.packageVersion } : {}) } : {}),
        ...(d?.description ? { description: d.description } : {}),
        schemes: [...(d?.schemes ?? c.schemes ?? [])],
        status: c.error ? "broken" : d ? "ok" : "not-loaded",
        diagnostics: [...c.diagnostics],
      });
    }
    // Manifests so broken that they name no backend still deserve a line.
    return infos;
  }

  /** The definition of backend `name` (imported on first use). */
  async get<K extends BackendKind>(name: string, kind?: K): Promise<BackendDefinition<K>> {
    const c = this.#all().find((x) => x.name === name);
    if (!c) throw this.#unknown(name, kind);
    if (kind && c.kind !== kind) {
      throw new UnknownBackendError(name, `"${name}" is ${kindLabel(c.kind)}, not ${kindLabel(kind)}`, this.#names(kind));
    }
    return (await this.#load(c)) as BackendDefinition<K>;
  }

  #names(kind?: BackendKind): string[] {
    return this.#all()
      .filter((c) => !kind || c.kind === kind)
      .map((c) => c.name);
  }

  #unknown(name: string, kind?: BackendKind): UnknownBackendError {
    const installed = this.#names(kind);
    const what = kind === "postprocess" ? "postprocessor" : kind ? `${kind} backend` : "backend";
    const hint = didYouMean(name, [...installed, ...Object.keys(KNOWN_BACKEND_PACKAGES)]);
    const pkg = KNOWN_BACKEND_PACKAGES[name];
    let message = `no ${what} named "${name}". Installed: ${installed.length ? installed.join(", ") : "none"}.`;
    if (!this.#isAllowed(name)) message += ` "${name}" is excluded by the registry's allow/skip options (the "backends" section of the themis config).`;
    if (pkg) message += ` "${name}" is provided by ${pkg}: npm install ${pkg}`;
    else if (hint)
      message += ` Did you mean "${hint}"?${!installed.includes(hint) && KNOWN_BACKEND_PACKAGES[hint] ? ` (npm install ${KNOWN_BACKEND_PACKAGES[hint]})` : ""}`;
    else message += ' Install a package that provides it (its package.json lists it under "themisBackends") or call registry.register().';
    return new UnknownBackendError(name, message, installed, hint);
  }

  /**
   * Resolve a backend name or URI to its definition and the config fields the URI
   * carries. URIs pick the backend whose `schemes` include the URI's scheme.
   */
  async resolve<K extends BackendKind>(spec: string, kind: K): Promise<{ definition: BackendDefinition<K>; uriConfig: Record<string, unknown> }> {
    if (!isUri(spec)) return { definition: await this.get(spec, kind), uriConfig: {} };
    let url: URL;
    try {
      url = new URL(spec);
    } catch (cause) {
      // Never echo the spec: it may hold a password.
      throw new InvalidConfigError(
        `invalid backend URI ${redactUrls(spec.replace(/[?#].*$/s, ""))}`,
        [{ path: "", message: "not a valid URI (a character that must be percent-encoded?)" }],
        { cause },
      );
    }
    const scheme = url.protocol.slice(0, -1).toLowerCase();
    const candidates = this.#all().filter((c) => c.kind === kind);
    const claims = (c: Candidate): boolean => (c.definition?.schemes ?? c.schemes ?? []).includes(scheme);
    // Manifests may list schemes, so most lookups import nothing; otherwise load to ask.
    let claimers = candidates.filter(claims);
    if (claimers.length === 0) {
      await Promise.all(candidates.map((c) => this.#load(c).catch(() => undefined)));
      claimers = candidates.filter(claims);
    }
    const match = pickClaimer(scheme, claimers);
    if (!match) {
      const pkg = KNOWN_SCHEMES[scheme] ? KNOWN_BACKEND_PACKAGES[KNOWN_SCHEMES[scheme]] : undefined;
      const shown = redactUrls(spec); // never echo credentials
      throw new UnknownBackendError(
        shown,
        `no installed ${kind} backend accepts "${scheme}://" URIs (${shown}).${pkg ? ` Install ${pkg}: npm install ${pkg}` : ""}`,
        this.#names(kind),
      );
    }
    const definition = (await this.#load(match)) as BackendDefinition<K>;
    if (!definition.configFromUri) {
      throw new InvalidDefinitionError(`backend "${definition.name}" lists scheme "${scheme}" but has no configFromUri()`);
    }
    return { definition, uriConfig: configFromUri(definition, url) };
  }

  /**
   * Create a backend from a name or URI and a raw config: validated against the
   * backend's schema (InvalidConfigError with field paths) before `create` runs.
   */
  async create<K extends BackendKind>(kind: K, spec: string, config: Record<string, unknown> = {}, source?: string): Promise<BackendInstances[K]> {
    const { definition, uriConfig } = await this.resolve(spec, kind);
    const parsed = parseBackendConfig(definition, { ...uriConfig, ...config }, source);
    return definition.create(parsed);
  }
}

let defaultInstance: Registry | undefined;

/**
 * The registry `Project` uses when none is given: built-ins plus the backends installed
 * in the application around `process.cwd()`. Created on first use.
 */
export function defaultRegistry(): Registry {
  defaultInstance ??= new Registry();
  return defaultInstance;
}
