/** The name config files and the package.json key are derived from. */
export const CONFIG_NAME = "themis";

/**
 * Where a themis config is looked for, in this order, in the starting folder and then in
 * each parent folder up to the project root (the nearest folder with a package.json).
 * The first match wins. `package.json` counts only when it has a `"themis"` key.
 */
export const CONFIG_SEARCH_PLACES: readonly string[] = [
  "themis.config.ts",
  "themis.config.mts",
  "themis.config.js",
  "themis.config.mjs",
  "themis.config.cjs",
  "themis.config.json",
  "themis.config.yaml",
  "themis.config.yml",
  ".themisrc",
  ".themisrc.json",
  ".themisrc.yaml",
  ".themisrc.yml",
  ".themisrc.js",
  ".themisrc.mjs",
  ".themisrc.cjs",
  ".themisrc.ts",
  ".config/themisrc",
  ".config/themisrc.json",
  ".config/themisrc.yaml",
  ".config/themisrc.yml",
  "package.json",
];
