import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { runCommand } from "./run-command.ts";
import { repoRoot } from "./workspace-packages.ts";

/**
 * publint's findings on a tarball, warnings counted as errors (strict). Runs on the packed
 * file itself, so it judges exactly what would be published.
 */
export async function publintProblems(tarball: string): Promise<string[]> {
  const bytes = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer },
    level: "warning",
    strict: true,
  });
  return messages.map((m) => `publint ${m.type} ${m.code}: ${formatMessage(m, pkg, { color: false }) ?? ""}`);
}

/** The attw command of the root devDependencies, run with the Node that runs this script. */
const attwBin = path.join(path.dirname(createRequire(path.join(repoRoot, "package.json")).resolve("@arethetypeswrong/cli/package.json")), "dist", "index.js");

/**
 * "Are the types wrong?" on a tarball with the esm-only profile (ESM-only packages: CommonJS
 * `require` is not a target). Empty when it passes; otherwise its report.
 */
export async function attwProblems(tarball: string): Promise<string[]> {
  const result = await runCommand(process.execPath, [attwBin, tarball, "--profile", "esm-only", "--format", "table-flipped", "--no-color"], {
    cwd: path.dirname(tarball),
    env: { ...process.env, NO_UPDATE_NOTIFIER: "1" },
  });
  return result.code === 0 ? [] : [`attw --profile esm-only failed:\n${result.stdout}${result.stderr}`];
}
