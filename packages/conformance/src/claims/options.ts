import type { StorageBackendDefinition } from "@themis/core";

/** The areas of the claims suite, each a group of tests that can run on its own. */
export const CLAIMS_AREAS = ["frozen", "killed", "small", "appended", "skewed"] as const;

/**
 * One area of the claims suite:
 * - `frozen`: a runner frozen (SIGSTOP) past its heartbeat, its blocks taken over, then woken
 *   (SIGCONT): it starts no row of a block it lost. Leave it out when a frozen process
 *   blocks every other runner through a lock it holds (local/csv's file locks): that is the
 *   lock's behaviour, not the claims'.
 * - `killed`: one of 3 runners killed (SIGKILL) at a seeded moment mid-block, then a resume.
 * - `small`: datasets of {@link ClaimsSuiteOptions.smallRows} rows, 3 runners at once.
 * - `appended`: rows appended to the dataset while runners are on it.
 * - `skewed`: runners whose wall clocks are 2 minutes behind and ahead (as on machines with
 *   badly set clocks): all alive, none takes over another's blocks; one of them killed
 *   (SIGKILL), the others take its blocks over.
 */
export type ClaimsArea = (typeof CLAIMS_AREAS)[number];

/** One fresh store for one test, as {@link ClaimsSuiteOptions.store} makes it. */
export interface ClaimsStore {
  /**
   * The backend's raw config (as a user writes it) over this store. The runner processes
   * and the suite's own backend are both built from it through the definition; it travels
   * to the runners as JSON, so it must survive `JSON.stringify`.
   */
  config: Record<string, unknown>;
  /** Remove the store after the test (the suite has closed its backend by then). */
  cleanup?: () => void | Promise<void>;
}

/** Options of {@link claimsSuite}. */
export interface ClaimsSuiteOptions {
  /** Label shown in test names, usually the backend name. */
  name: string;
  /**
   * The backend module the runner processes import: a `file:` URL or absolute path (e.g. the
   * built `dist/index.js`), or a package specifier resolved from {@link resolveFrom} with
   * Node's ESM rules. It must be loadable by plain Node (built JavaScript, or TypeScript that
   * Node can strip): each runner is a separate `node` process, as a user's would be.
   */
  module: string;
  /** The export of {@link module} that is the backend's definition, e.g. `"myBackend"`. */
  exportName: string;
  /** Where a package specifier in {@link module} is resolved from. Default: the current directory. */
  resolveFrom?: string;
  /**
   * The same definition, in this process: the suite creates each test's project and checks
   * the results through it (with {@link ClaimsStore.config}).
   */
  definition: StorageBackendDefinition;
  /**
   * A new, empty store for one test (a folder, a key prefix, a bucket): every test creates
   * the project "claims" in it. `label` names the test, for store names.
   */
  store: (label: string) => ClaimsStore | Promise<ClaimsStore>;
  /**
   * The runners' heartbeat interval in ms: a runner is stale, and its blocks taken over,
   * after 4 missed beats. Short keeps the tests fast; too short for the store's write
   * latency makes healthy runners look stale. Default 500.
   */
  heartbeatMs?: number;
  /** Dataset size of the `frozen`, `killed` and `skewed` tests; at least 192 (3 blocks of 64). Default 640. */
  rows?: number;
  /** Seeds of the `killed` tests, one test each: a seed picks the kill moment and victim. Default [1, 2, 3]. */
  killSeeds?: readonly number[];
  /** Dataset sizes of the `small` tests, one test each. Default [1, 64, 65] (one block, and one row past). */
  smallRows?: readonly number[];
  /** Run only these areas (default: all of {@link CLAIMS_AREAS}). */
  areas?: readonly ClaimsArea[];
  /** Skip the whole suite with this reason (e.g. the server is not running). */
  skip?: string | false;
  /**
   * Per-test timeout in ms of the `frozen`, `killed`, `appended` and `skewed` tests. Default
   * 60 s; under 2 minutes with the `skewed` area (which tells a runner's clock is off by it).
   */
  timeout?: number;
  /** Per-test timeout in ms of the `small` tests (a hang there fails on it). Default 30 s. */
  smallTimeout?: number;
}

/** Suite options with every default filled in. */
export type ResolvedClaimsSuiteOptions = Required<Omit<ClaimsSuiteOptions, "resolveFrom" | "skip">> & Pick<ClaimsSuiteOptions, "resolveFrom" | "skip">;

/** Fill in the defaults and check what the tests rely on. */
export function resolveClaimsOptions(options: ClaimsSuiteOptions): ResolvedClaimsSuiteOptions {
  const resolved: ResolvedClaimsSuiteOptions = {
    ...options,
    heartbeatMs: options.heartbeatMs ?? 500,
    rows: options.rows ?? 640,
    killSeeds: options.killSeeds ?? [1, 2, 3],
    smallRows: options.smallRows ?? [1, 64, 65],
    areas: options.areas ?? CLAIMS_AREAS,
    timeout: options.timeout ?? 60_000,
    smallTimeout: options.smallTimeout ?? 30_000,
  };
  // The frozen runner is stopped after 100 rows and the kill lands within the first block:
  // fewer rows and the run could be over before either.
  if (resolved.rows < 192) throw new Error(`claims suite "${options.name}": rows must be at least 192, got ${resolved.rows}`);
  // The skewed tests tell a runner's clock is off (2 min) by its start time lying outside the test.
  if (resolved.areas.includes("skewed") && resolved.timeout >= 120_000)
    throw new Error(`claims suite "${options.name}": timeout must be under 120000 ms, got ${resolved.timeout}`);
  return resolved;
}
