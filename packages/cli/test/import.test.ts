import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Project, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { BIN, makeApp, themis, themisJson } from "./helpers.js";
import { CONFIG, seededApp } from "./seeded-app.js";

async function load(app: string, name = "qa"): Promise<Row[]> {
  const project = await Project.open("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  try {
    return (await (await project.getDataset(name)).load()).map(({ _row_id: _id, ...row }) => row);
  } finally {
    await project.close();
  }
}

const CSV = 'id,question,score,tags,note\n007,"2+2?",4,"[""math""]",\n8,"two\nlines",3.5,[],\'true\n';

describe("themis datasets import", () => {
  it("reads CSV cells as the CSV codec defines them; --types says more; creates the project and dataset", async () => {
    const app = makeApp(["local-csv"], { "themis.config.yaml": CONFIG, "qa.csv": CSV });
    const { code, json } = await themisJson(app, ["datasets", "import", "qa", "qa.csv"]);
    expect(code).toBe(0);
    expect(json).toEqual({ project: "demo", dataset: "qa", created: true, rows: 2, skipped: 0, skippedLines: [] });
    expect(await load(app)).toEqual([
      { id: "007", question: "2+2?", score: 4, tags: ["math"] },
      { id: 8, question: "two\nlines", score: 3.5, tags: [], note: "true" },
    ]);
    await themis(app, ["datasets", "delete", "qa", "--yes"]);
    expect((await themis(app, ["datasets", "import", "qa", "qa.csv", "--types", "id=string,score=number", "-t", "tags=json"])).code).toBe(0);
    expect((await load(app)).map((r) => r.id)).toEqual(["007", "8"]);
  });

  it("a bad record fails with its line number and imports nothing, also into an existing dataset", async () => {
    const { app } = await seededApp([{ question: "kept" }]);
    writeFileSync(path.join(app, "bad.csv"), "question,score\na,1\nb,2\nc,x\nd,4\n");
    const created = await themis(app, ["datasets", "import", "fresh", "bad.csv", "--types", "score=number"]);
    expect(created.code).toBe(1);
    expect(created.stderr).toMatch(/bad\.csv:4: column "score": expected a number, got "x"; nothing was imported/);
    expect((await themisJson(app, ["datasets", "ls"])).json).toEqual(["qa"]);
    const appended = await themisJson(app, ["datasets", "import", "qa", "bad.csv", "--types", "score=number", "--append"]);
    expect(appended.json.error).toMatchObject({ code: "ERR_THEMIS_INVALID_ROW", message: expect.stringContaining("bad.csv:4") });
    expect(await load(app)).toEqual([{ question: "kept" }]);
    // An unclosed quote is a bad record too.
    writeFileSync(path.join(app, "quote.csv"), 'question\nfine\n"never closed\n');
    expect((await themis(app, ["datasets", "import", "q2", "quote.csv"])).stderr).toMatch(/quote\.csv:\d+: .*quote/i);
  });

  it("--skip-bad imports the good rows and reports the bad lines", async () => {
    const app = makeApp(["local-csv"], {
      "themis.config.yaml": CONFIG,
      "qa.jsonl": '{"q":1}\nnot json\n\n[1]\n{"q":2,"_row_id":"r-2"}\n{"q":3,"_row_id":"r-2"}\n',
    });
    const { code, stderr, stdout } = await themis(app, ["datasets", "import", "qa", "qa.jsonl", "--skip-bad"]);
    expect(code).toBe(0);
    expect(stdout).toBe('imported 2 rows into dataset "qa" of project "demo" (created)\n');
    expect(stderr).toContain("skipped 3 bad records, at lines 2, 4, 6");
    expect(await load(app)).toEqual([{ q: 1 }, { q: 2 }]);
  });

  it("reads JSON Lines from stdin; a dataset that exists needs --append", async () => {
    const { app } = await seededApp([{ q: 0 }]);
    const run = (args: string[], input: string) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [BIN, ...args], { cwd: app }, (error, _stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stderr }),
        );
        child.stdin!.end(input);
      });
    const refused = await run(["datasets", "import", "qa", "-", "--format", "jsonl"], '{"q":1}\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/dataset "qa" exists.*--append/);
    expect((await run(["datasets", "import", "qa", "-", "--format", "jsonl", "--append"], '{"q":1,"nested":{"a":[1,null]}}\n{"q":2}\n')).code).toBe(0);
    expect(await load(app)).toEqual([{ q: 0 }, { q: 1, nested: { a: [1, null] } }, { q: 2 }]);
  });

  it("a failed write part-way removes the rows it had appended (all or nothing)", async () => {
    const { app, ids } = await seededApp([{ q: 0 }]);
    // The second record reuses an id already in the dataset: the first batch is written, the second refused.
    writeFileSync(path.join(app, "clash.jsonl"), `{"q":1}\n{"q":2,"_row_id":"${ids[0]}"}\n`);
    const { code, stderr } = await themis(app, ["datasets", "import", "qa", "clash.jsonl", "--append", "--batch-size", "1"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/already has a row with _row_id/);
    expect(await load(app)).toEqual([{ q: 0 }]);
  });

  it("streams a large file with progress lines when stderr is not a terminal", async () => {
    const app = makeApp(["local-csv"], { "themis.config.yaml": CONFIG });
    const lines = ["n,text"];
    for (let i = 0; i < 20_000; i++) lines.push(`${i},row ${i} ${"x".repeat(40)}`);
    writeFileSync(path.join(app, "big.csv"), `${lines.join("\n")}\n`);
    const { code, stderr } = await themis(app, ["datasets", "import", "big", "big.csv"]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^checking: 100% /m);
    expect(stderr).toMatch(/^importing: 50% /m);
    expect(stderr).toMatch(/^importing: 100% /m);
    const rows = await load(app, "big");
    expect(rows).toHaveLength(20_000);
    expect(rows[19_999]).toEqual({ n: 19_999, text: `row 19999 ${"x".repeat(40)}` });
  });
});

describe("datasets create / delete / list, experiments delete", () => {
  it("create makes an empty dataset; delete needs --yes; list is ls", async () => {
    const { app } = await seededApp([{ q: 0 }]);
    expect((await themis(app, ["datasets", "create", "empty"])).stdout).toBe('created dataset "empty" in project "demo"\n');
    expect((await themisJson(app, ["datasets", "list"])).json).toEqual(["empty", "qa"]);
    const refused = await themis(app, ["datasets", "delete", "qa"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot be undone: pass --yes/);
    expect((await themis(app, ["datasets", "delete", "qa", "--yes"])).code).toBe(0);
    expect((await themisJson(app, ["datasets", "list"])).json).toEqual(["empty"]);
    expect((await themisJson(app, ["experiments", "delete", "nope", "--yes"])).json.error.code).toBe("ERR_THEMIS_NOT_FOUND");
  });
});
