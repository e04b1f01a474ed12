import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { createProgram } from "../src/program.js";
import { HELP_EXAMPLES } from "../src/help-examples.js";
import { themis } from "./helpers.js";
import { seededApp } from "./seeded-app.js";

// Commands other engineers own (their help is theirs to document).
const NOT_OURS = new Set(["run", "runs", "worker", "pipeline"]);

function leaves(command: Command, prefix = ""): string[] {
  return command.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    if (NOT_OURS.has(path.split(" ")[0]!)) return [];
    return c.commands.length > 0 ? leaves(c, `${path} `) : [path];
  });
}

describe("every command's --help has an example, and every example runs", () => {
  it("each command (but run/runs/worker) has examples", () => {
    const documented = new Set(HELP_EXAMPLES.map(([command]) => command));
    expect(leaves(createProgram(() => async () => {})).filter((c) => !documented.has(c))).toEqual([]);
  });

  it("the examples printed by --help run in a project set up as the quick start does", async () => {
    const { app } = await seededApp([{ question: "2+2?", answer: "4" }], {
      "more.csv": "id,question,score\n007,3+3?,6\n",
      "more.jsonl": '{"question":"4+4?","score":8}\nnot json\n',
    });
    const project = await Project.open("demo", localCsvBackend, { rootDir: path.join(app, "data") });
    await (await project.createExperiment("baseline")).append({ answer: "4", correct: true });
    await project.close();
    for (const [command] of HELP_EXAMPLES) {
      const help = await themis(app, [...command.split(" "), "--help"]);
      const examples = [...help.stdout.matchAll(/^ {2}\$ themis (.+)$/gm)].map((m) => m[1]!);
      expect(examples.length, command).toBeGreaterThan(0);
      for (const example of examples) {
        const args = example.replace(/ > \S+$/, "").split(" ");
        const result = await themis(app, args);
        expect({ example, code: result.code, stderr: result.stderr }).toEqual({ example, code: 0, stderr: expect.any(String) });
      }
    }
    // About 25 CLI runs, each a node start-up: generous on a loaded 2-core machine.
  }, 240_000);

  it("completion bash completes subcommands and options from the command tree", async () => {
    const { stdout, code } = await themis(process.cwd(), ["completion", "bash"]);
    expect(code).toBe(0);
    const script = path.join(mkdtempSync(path.join(tmpdir(), "themis-completion-")), "themis.bash");
    writeFileSync(script, stdout);
    const complete = (words: string[]): string =>
      execFileSync("bash", ["-c", `source "$0"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _themis_completion; echo "\${COMPREPLY[@]}"`, script], { encoding: "utf8" }).trim();
    expect(complete(["themis", "datasets", "im"])).toBe("import");
    expect(complete(["themis", "datasets", "import", "qa", "--sk"])).toBe("--skip-bad");
    expect(complete(["themis", "--json", "back"])).toBe("backends");
    expect(complete(["themis", "backends", ""]).split(" ")).toEqual(expect.arrayContaining(["list", "validate", "schema", "create"]));
    const zsh = await themis(process.cwd(), ["completion", "zsh"]);
    expect(zsh.stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(zsh.stdout).toContain("complete -o default -F _themis_completion themis");
  });
});
