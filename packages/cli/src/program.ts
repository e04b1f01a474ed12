import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { Action } from "./action.js";
import { backendsCommand } from "./commands/backends.js";
import { configCommand } from "./commands/config.js";
import { copyCommand } from "./commands/copy.js";
import { doctorCommand } from "./commands/doctor.js";
import { projectsCommand } from "./commands/projects.js";
import { pipelineCommand } from "./commands/pipeline.js";
import { runCommand } from "./commands/run.js";
import { completionCommand } from "./commands/completion.js";
import { addHelpExamples } from "./help-examples.js";
import { runsCommand } from "./commands/runs.js";
import { serveCommand } from "./commands/serve.js";
import { tablesCommand } from "./commands/tables.js";
import { workerCommand } from "./commands/worker.js";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The `themis` command tree. `action` wraps each command's handler (context, exit code). */
export function createProgram(action: Action): Command {
  const program = new Command("themis")
    .description(
      "Themis: datasets, experiments and backends from the command line.\nBackends come from the registry: whatever is installed next to your project.",
    )
    .version(version, "-V, --version")
    .option("--json", 'machine-readable output on stdout (errors too, as { "error": ... })')
    .option("-c, --config <file>", "use this themis config file instead of searching for one")
    .option("-C, --cwd <dir>", "run as if started in this folder")
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 failed, 2 usage error.
Config: themis.config.{ts,js,mjs,cjs,json,yaml,yml}, .themisrc*, or "themis" in package.json,
searched from the current folder up to the project root. See: themis config`,
    );
  backendsCommand(program, action);
  configCommand(program, action);
  doctorCommand(program, action);
  projectsCommand(program, action);
  tablesCommand(program, action, "dataset");
  tablesCommand(program, action, "experiment");
  copyCommand(program, action);
  runCommand(program, action);
  runsCommand(program, action);
  workerCommand(program, action);
  completionCommand(program, action);
  serveCommand(program, action);
  pipelineCommand(program, action);
  addHelpExamples(program);
  return program;
}
