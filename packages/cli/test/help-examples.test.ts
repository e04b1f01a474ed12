import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { Project, listRuns } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { createProgram } from "../src/program.js";
import { HELP_EXAMPLES, RUN_ID } from "../src/help-examples.js";
import { BIN, themis } from "./helpers.js";
import { seededApp } from "./seeded-app.js";

// `pipeline run|plan` need a pipeline module that imports @themis/pipeline, which the seeded
// app (a temp folder) cannot resolve; packages/pipeline and examples/pipeline test them.
const NOT_HERE = new Set(["pipeline"]);

function leaves(command: Command, prefix = ""): string[] {
  return command.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    if (NOT_HERE.has(path.split(" ")[0]!)) return [];
    return c.commands.length > 0 ? leaves(c, `${path} `) : [path];
  });
}

/** The task the `run` examples name: a score per row, so `runs compare` has metrics to test. */
const TASKS = 'export function score(row) { return { output: row.answer, scores: { exact: row.answer === "4", length: String(row.answer).length } }; }\n';

/** The run ids the examples' $BASELINE, $CANDIDATE (the first two runs) and $RUN (the newest) stand for, read from the project. */
async function runIds(app: string): Promise<Record<string, string>> {
  const project = await Project.open("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  try {
    const runs = (await listRuns(project)).sort((a, b) => a.started_at.localeCompare(b.started_at));
    expect(runs.length, "the run examples made two runs").toBeGreaterThanOrEqual(2);
    return { BASELINE: runs[0]!.run_id, CANDIDATE: runs[1]!.run_id, RUN: runs.at(-1)!.run_id };
  } finally {
    await project.close();
  }
}

/** `themis serve` runs until stopped: start the example, wait for its first line, stop it with SIGTERM, expect exit 0. */
async function startAndStop(app: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: app, env: { ...process.env, NO_COLOR: "1" } });
  const exited = once(child, "exit");
  let stdout = "";
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("\n")) resolve(stdout.split("\n")[0]!);
    });
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code}) before its first line:\n${stdout}`)));
  });
  child.kill("SIGTERM");
  expect(await exited).toEqual([0, null]);
  return first;
}

/**
 * `themis worker --execution bullmq` needs the bullmq package and a Redis server, which this
 * package's tests do not have (backend-bullmq's tests run real workers): here the example is
 * parsed by the real command tree, and the worker's handler must receive its options.
 */
async function parsedFlags(args: string[]): Promise<unknown> {
  let flags: unknown;
  const program = createProgram(() => async (...got: unknown[]) => {
    flags = got.at(-2);
  });
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    c.commands.forEach(quiet);
  };
  quiet(program);
  await program.parseAsync(args, { from: "user" });
  return flags;
}

describe("every command's --help has an example, and every example runs", () => {
  it("each command has examples", () => {
    const documented = new Set(HELP_EXAMPLES.map(([command]) => command));
    expect(leaves(createProgram(() => async () => {})).filter((c) => !documented.has(c))).toEqual([]);
  });

  it("the examples printed by --help run in a project set up as the quick start does", async () => {
    const { app } = await seededApp([{ question: "2+2?", answer: "4" }], {
      "more.csv": "id,question,score\n007,3+3?,6\n",
      "more.jsonl": '{"question":"4+4?","score":8}\nnot json\n',
      "tasks.mjs": TASKS,
    });
    const project = await Project.open("demo", localCsvBackend, { rootDir: path.join(app, "data") });
    await (await project.createExperiment("baseline")).append({ answer: "4", correct: true });
    await project.close();
    for (const [command] of HELP_EXAMPLES) {
      const help = await themis(app, [...command.split(" "), "--help"]);
      const examples = [...help.stdout.matchAll(/^ {2}\$ themis (.+)$/gm)].map((m) => m[1]!);
      expect(examples.length, command).toBeGreaterThan(0);
      for (const example of examples) {
        let args = example.replace(/ > \S+$/, "").split(" ");
        if (RUN_ID.test(example)) {
          const ids = await runIds(app);
          args = args.map((a) => a.replace(new RegExp(RUN_ID, "g"), (_, name: string) => ids[name]!));
        }
        if (command === "serve") {
          expect(await startAndStop(app, args)).toMatch(/^themis serve: project "demo" on local\/csv/);
          continue;
        }
        if (command === "worker") {
          expect(await parsedFlags(args)).toEqual({ execution: "bullmq", executionOption: { url: "redis://127.0.0.1:6379" }, concurrency: 8 });
          continue;
        }
        const result = await themis(app, args);
        expect({ example, code: result.code, stderr: result.stderr }).toEqual({ example, code: 0, stderr: expect.any(String) });
      }
    }
    // About 35 CLI runs, each a node start-up: generous on a loaded 2-core machine.
  }, 400_000);

  it("completion bash completes subcommands and options from the command tree", async () => {
    const { stdout, code } = await themis(process.cwd(), ["completion", "bash"]);
    expect(code).toBe(0);
    const script = path.join(mkdtempSync(path.join(tmpdir(), "themis-completion-")), "themis.bash");
    writeFileSync(script, stdout);
    const complete = (words: string[]): string =>
      execFileSync(
        "bash",
        [
          "-c",
          `source "$0"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _themis_completion; echo "\${COMPREPLY[@]}"`,
          script,
        ],
        { encoding: "utf8" },
      ).trim();
    expect(complete(["themis", "datasets", "im"])).toBe("import");
    expect(complete(["themis", "datasets", "import", "qa", "--sk"])).toBe("--skip-bad");
    expect(complete(["themis", "--json", "back"])).toBe("backends");
    expect(complete(["themis", "backends", ""]).split(" ")).toEqual(expect.arrayContaining(["list", "validate", "schema", "create"]));
    const zsh = await themis(process.cwd(), ["completion", "zsh"]);
    expect(zsh.stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(zsh.stdout).toContain("complete -o default -F _themis_completion themis");
  });
});
