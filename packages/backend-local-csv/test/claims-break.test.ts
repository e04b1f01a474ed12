// The claims suite on local/csv files: runners killed with SIGKILL at a random moment, runners
// whose wall clocks are minutes off, and a dataset one row past a block. No "frozen" area: a
// runner frozen while it holds the experiment file's lock keeps every other runner on the host
// waiting on that lock, since its process is alive, until lockTimeoutMs, then they fail with
// ERR_THEMIS_CONFLICT: file locks, not claims.
import { claimsSuite } from "@themis/conformance";
import { localCsvBackend } from "../src/index.js";
import { removeDir, tempDir } from "./helpers.js";

claimsSuite({
  name: "local/csv",
  // The runner processes load the built backend, as a user's process would.
  module: new URL("../dist/index.js", import.meta.url).href,
  exportName: "localCsvBackend",
  definition: localCsvBackend,
  store: (label) => {
    const rootDir = tempDir(`themis-claims-${label}-`);
    return { config: { rootDir }, cleanup: () => removeDir(rootDir) };
  },
  // Beats 300 ms apart, stale after 1.2 s.
  heartbeatMs: 300,
  rows: 320,
  killSeeds: [6],
  smallRows: [65],
  areas: ["killed", "small", "skewed"],
  timeout: 90_000,
});
