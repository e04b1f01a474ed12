import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { BIN, themis } from "./helpers.js";
import { seededApp } from "./seeded-app.js";

const HOSTILE = [{ name: '=HYPERLINK("http://evil.example","x")', formula: "+1+1", at: "@cmd", minus: "-2+3", tab: "\tx", safe: "plain", n: -5 }];

describe("export --format csv neutralises formulas", () => {
  it("prefixes text a spreadsheet would run with ', numbers and plain text unchanged", async () => {
    const { app, ids } = await seededApp(HOSTILE);
    const { code, stdout } = await themis(app, ["datasets", "export", "qa", "-f", "csv"]);
    expect(code).toBe(0);
    const [header, line] = stdout.split("\r\n");
    expect(header).toBe("_row_id,name,formula,at,minus,tab,safe,n");
    expect(line).toBe(`${ids[0]},"'=HYPERLINK(""http://evil.example"",""x"")",'+1+1,'@cmd,'-2+3,'\tx,plain,-5`);
  });

  it("--keep-formulas writes them as they are; JSON Lines is exact either way", async () => {
    const { app, ids } = await seededApp(HOSTILE);
    const raw = await themis(app, ["datasets", "export", "qa", "-f", "csv", "--keep-formulas"]);
    expect(raw.stdout.split("\r\n")[1]).toBe(`${ids[0]},"=HYPERLINK(""http://evil.example"",""x"")",+1+1,@cmd,-2+3,"\tx",plain,-5`);
    const jsonl = await themis(app, ["datasets", "export", "qa", "-f", "jsonl"]);
    expect(JSON.parse(jsonl.stdout)).toEqual({ _row_id: ids[0], ...HOSTILE[0] });
  });

  it("a column named like a formula is neutralised in the header too", async () => {
    const { app } = await seededApp([{ "=cmd": "x" }]);
    const { stdout } = await themis(app, ["datasets", "export", "qa", "-f", "csv"]);
    expect(stdout.split("\r\n")[0]).toBe("_row_id,'=cmd");
  });
});

describe("show escapes control characters", () => {
  it("never prints ESC, OSC, C1 or bidi overrides from cell values or column names", async () => {
    const evil = "\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007 \u001b[31mred\u001b[0m \u009b2J \u202egnp.exe \r\u0000";
    const { app } = await seededApp([{ text: evil, "col\u001b[2J": 1 }]);
    const { code, stdout } = await themis(app, ["datasets", "show", "qa"]);
    expect(code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test asserts no control characters reach the terminal
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(stdout).toContain("\\x1b]8;;http://evil.example\\x07click");
    expect(stdout).toContain("col\\x1b[2J");
  });
});

describe("a closed pipe (themis … | head)", () => {
  it("exits quietly with status 0 when the reader goes away", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ i, text: "x".repeat(200) }));
    const { app } = await seededApp(rows);
    const child = spawn(process.execPath, [BIN, "datasets", "export", "qa", "-f", "jsonl"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Read the first chunk, then close our end, as `head -1` does.
    await once(child.stdout, "data");
    child.stdout.destroy();
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: "" });
  });
});
