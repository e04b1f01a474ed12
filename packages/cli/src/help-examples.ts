import type { Command } from "commander";

/**
 * One runnable example per command, shown at the end of its `--help`. They assume what the
 * quick start sets up: a themis config with a project and a local/csv storage, a dataset
 * "qa", and the files the examples name (`tasks.mjs` exports a task `score`); `$RUN`,
 * `$BASELINE` and `$CANDIDATE` stand for run ids that `themis runs list` prints.
 * `test/help-examples.test.ts` runs every one of them, in this order, in such a folder
 * (the long-running `worker` and `serve` as that test explains).
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
  [
    "run",
    [
      "themis run ./tasks.mjs#score --dataset qa --experiment scored --param model=small",
      "themis run ./tasks.mjs#score -d qa -e scored -P model=large --resume -j 4",
    ],
  ],
  ["runs list", ["themis runs list --experiment scored --limit 5"]],
  ["runs show", ["themis runs show $RUN"]],
  ["runs compare", ["themis runs compare $BASELINE $CANDIDATE"]],
  ["runs cancel", ["themis runs cancel $RUN --reason superseded"]],
  ["runs delete", ["themis runs delete $RUN --yes"]],
  ["worker", ["themis worker --execution bullmq -X url=redis://127.0.0.1:6379 --concurrency 8"]],
  ["serve", ["themis serve --project demo"]],
  ["completion", ["themis completion bash > themis-completion.bash"]],
];

/** The stand-ins for run ids in the examples. */
export const RUN_ID = /\$(RUN|BASELINE|CANDIDATE)\b/;

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
    const ids = examples.some((e) => RUN_ID.test(e)) ? "\n  ($RUN, $BASELINE, $CANDIDATE: run ids, as `themis runs list` prints them)" : "";
    command?.addHelpText("after", `\nExample${examples.length > 1 ? "s" : ""}:\n${lines}${ids}`);
  }
}
