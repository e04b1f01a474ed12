// The module runner written into job folders (core's moduleRunnerSource, as this package
// configures it), run here with plain `node`: no cluster needed, so a broken runner fails
// fast and with a clear message rather than as a SLURM job without a result.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { JsonValue } from "@themis/core";
import { moduleRunnerSource, parseModuleRunnerResult } from "@themis/core/backend";
import { afterAll, describe, expect, it } from "vitest";
import { MODULE_FILES, readModuleResult, writeModuleJob } from "../src/module-job.ts";

const root = mkdtempSync(path.join(tmpdir(), "themis-slurm-runner-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MODULE = `
import { writeFileSync } from "node:fs";
export function add(input) { return input.a + input.b; }
export function context(_input, ctx) { return { attempt: ctx.attempt, index: ctx.index }; }
export async function waitForStop(input, { signal }) {
  writeFileSync(input.started, "");
  // A job at work (a timer here) keeps the process alive until the signal stops it.
  const work = setInterval(() => undefined, 1000);
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  clearInterval(work);
  return signal.reason.code;
}
export function fails() { const e = new Error("boom"); e.code = "E_BOOM"; throw e; }
`;
const moduleFile = path.join(root, "task.mjs");
writeFileSync(moduleFile, MODULE);

let jobs = 0;
function jobDir(): string {
  const dir = path.join(root, `job-${++jobs}`);
  mkdirSync(dir);
  return dir;
}

function start(argv: readonly string[], cwd = root): ChildProcess {
  const [node, ...args] = argv;
  return spawn(node ?? process.execPath, args, { cwd, stdio: "ignore" });
}

async function runModule(exportName: string, input: JsonValue, index = 0): Promise<{ dir: string; result: Awaited<ReturnType<typeof readModuleResult>> }> {
  const dir = jobDir();
  const argv = await writeModuleJob(dir, { kind: "module", module: moduleFile, export: exportName, input }, { attempt: 2, index }, process.execPath);
  const child = start(argv);
  await once(child, "exit");
  return { dir, result: await readModuleResult(dir) };
}

describe("module runner (slurm's configuration)", () => {
  it("calls the export with the input and the job's context, and writes the result atomically", async () => {
    const { dir, result } = await runModule("add", { a: 2, b: 3 });
    expect(result).toEqual({ ok: true, value: 5 });
    expect(readdirSync(dir).sort()).toEqual([MODULE_FILES.job, MODULE_FILES.result, MODULE_FILES.runner].sort());
    expect((await runModule("context", null, 7)).result).toEqual({ ok: true, value: { attempt: 2, index: 7 } });
  });

  it("replaces result.json by a rename (a reader on NFS never sees half a file), not by writing into it", async () => {
    const dir = jobDir();
    const argv = await writeModuleJob(
      dir,
      { kind: "module", module: moduleFile, export: "add", input: { a: 1, b: 1 } },
      { attempt: 1, index: 0 },
      process.execPath,
    );
    // A write in place would go through this link into `target`; a rename replaces the link.
    writeFileSync(path.join(dir, "target"), "untouched");
    symlinkSync(path.join(dir, "target"), path.join(dir, MODULE_FILES.result));
    await once(start(argv), "exit");
    expect(readFileSync(path.join(dir, "target"), "utf8")).toBe("untouched");
    expect(lstatSync(path.join(dir, MODULE_FILES.result)).isFile()).toBe(true);
    expect(await readModuleResult(dir)).toEqual({ ok: true, value: 2 });
  });

  it("serializes a thrown error and a missing export as JobErrors", async () => {
    const thrown = (await runModule("fails", null)).result;
    expect(thrown).toMatchObject({ ok: false, error: { name: "Error", message: "boom", code: "E_BOOM", retryable: false } });
    const missing = (await runModule("nope", null)).result;
    expect(missing).toMatchObject({ ok: false, error: { code: "ERR_THEMIS_INVALID_EXPORT" } });
    expect(missing?.ok === false && missing.error.message).toContain("add");
  });

  it("aborts the export's signal on SIGTERM and still writes the result", async () => {
    const dir = jobDir();
    const started = path.join(dir, "started");
    const argv = await writeModuleJob(
      dir,
      { kind: "module", module: moduleFile, export: "waitForStop", input: { started } },
      { attempt: 1, index: 0 },
      process.execPath,
    );
    const child = start(argv);
    const exited = once(child, "exit");
    while (!existsSync(started)) await sleep(20);
    child.kill("SIGTERM");
    await exited;
    expect(await readModuleResult(dir)).toEqual({ ok: true, value: "ERR_THEMIS_ABORTED" });
  });
});

describe("moduleRunnerSource options (docker's configuration)", () => {
  it("reads the job beside the script, writes in place, and resolves a package specifier from the cwd", async () => {
    const dir = jobDir();
    const pkg = path.join(dir, "node_modules", "runner-fixture");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "runner-fixture", type: "module", main: "index.js" }));
    writeFileSync(path.join(pkg, "index.js"), "export default (input) => `hello ${input}`;\n");
    writeFileSync(path.join(dir, "runner.mjs"), moduleRunnerSource({ by: "test", jobDir: "beside-script" }));
    writeFileSync(path.join(dir, "job.json"), JSON.stringify({ url: "runner-fixture", exportName: "default", input: "there", attempt: 1, index: 0 }));
    // The job folder is the cwd: the bare specifier resolves from there.
    const child = spawn(process.execPath, [path.join(dir, "runner.mjs")], { cwd: dir, stdio: "ignore" });
    await once(child, "exit");
    expect(parseModuleRunnerResult(readFileSync(path.join(dir, "result.json")))).toEqual({ ok: true, value: "hello there" });
  });

  it("treats a missing, torn or foreign result file as no result", () => {
    expect(parseModuleRunnerResult(undefined)).toBeUndefined();
    expect(parseModuleRunnerResult('{"ok": tr')).toBeUndefined();
    expect(parseModuleRunnerResult('{"value": 1}')).toBeUndefined();
    expect(parseModuleRunnerResult(Buffer.from('{"ok":false,"error":{"name":"E","message":"m","retryable":false}}'))).toMatchObject({ ok: false });
  });

  it("keeps option text inert in the generated source", () => {
    const source = moduleRunnerSource({ by: "x\n}); process.exit(3); //", jobDir: "argv", stoppedBy: '"); process.exit(4); ("' });
    expect(source.split("\n")[0]).toContain("Themis module runner (x }); process.exit(3); //)");
    expect(source).toContain(JSON.stringify('job was stopped (SIGTERM from "); process.exit(4); (")'));
  });
});
