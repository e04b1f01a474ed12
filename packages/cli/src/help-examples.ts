import type { Command } from "commander";

/**
 * One runnable example per command, shown at the end of its `--help`. They assume what the
 * quick start sets up: a themis config with a project and a local/csv storage, a dataset
 * "qa", and the files the examples name; `test/help-examples.test.ts` runs every one of
 * them, in this order, in such a folder.
 */
export const HELP_EXAMPLES: ReadonlyArray<readonly [command: string, examples: readonly string[]]> = [
  ["backends list", ["themis backends list"]],
  ["backends schema", ["themis backends schema local/csv"]],
  ["backends create", ["themis backends create local/csv --output storage.yaml"]],
  ["backends validate", ["themis backends validate storage.yaml"]],
  ["config", ["themis config --json"]],
  ["doctor", ["themis doctor"]],
  ["projects ls", ["themis projects ls --storage local/csv --option rootDir=./data"]],
  ["datasets create", ["themis datasets create scratch"]],
  ["datasets import", ["themis datasets import more more.csv --types id=string,score=number", "themis datasets import more more.jsonl --append --skip-bad"]],
  ["datasets ls", ["themis datasets ls"]],
  ["datasets show", ["themis datasets show qa --limit 5"]],
  ["datasets export", ["themis datasets export qa --format csv --output qa-export.csv"]],
  ["experiments ls", ["themis experiments ls"]],
  ["experiments show", ["themis experiments show baseline --limit 5"]],
  ["experiments export", ["themis experiments export baseline --format jsonl"]],
  ["experiments delete", ["themis experiments delete baseline --yes"]],
  ["datasets delete", ["themis datasets delete scratch --yes"]],
  ["copy", ["themis copy demo --to local/csv --to-option rootDir=./backup"]],
  ["completion", ["themis completion bash > themis-completion.bash"]],
];

function find(program: Command, path: string): Command | undefined {
  let command: Command | undefined = program;
  for (const name of path.split(" ")) command = command?.commands.find((c) => c.name() === name);
  return command;
}

/** Add each command's examples to its `--help`. Commands not in the program are skipped. */
export function addHelpExamples(program: Command): void {
  for (const [path, examples] of HELP_EXAMPLES) {
    const command = find(program, path);
    const lines = examples.map((e) => `  $ ${e}`).join("\n");
    command?.addHelpText("after", `\nExample${examples.length > 1 ? "s" : ""}:\n${lines}`);
  }
}
