import { Writable } from "node:stream";
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Project, memoryBackend } from "@themis/core";
import { main } from "../src/main.js";

/** A stream that records what is written; `tty` makes it look like a terminal. */
function capture(tty: boolean): Writable & { text: () => string; isTTY: boolean; columns: number } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text: () => string; isTTY: boolean; columns: number };
  stream.isTTY = tty;
  stream.columns = 100;
  stream.text = () => chunks.join("");
  return stream;
}

// In one process "memory" storage persists between commands, so main() can copy through it.
describe("progress bars (in-process, on a terminal)", () => {
  it("copy shows a progress bar on a terminal stderr, and none when stderr is a pipe", async () => {
    const ns = `progress-${Date.now()}`;
    const project = await Project.create("demo", memoryBackend, { namespace: ns });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 1200 }, (_, i) => ({ i })));
    await project.close();
    const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-progress-")));
    writeFileSync(path.join(cwd, "package.json"), "{}");
    const args = ["--cwd", cwd, "copy", "demo", "--from", "memory", "--from-option", `namespace=${ns}`, "--to", "memory"];
    const tty = { stdout: capture(false), stderr: capture(true) };
    expect(await main([...args, "--to-option", `namespace=${ns}-a`], tty)).toBe(0);
    expect(tty.stderr.text()).toMatch(/\d+\/1 tables \| dataset qa \d+ rows/);
    expect(tty.stdout.text()).toMatch(/1 tables, 1200 rows \(1200 appended/);
    const piped = { stdout: capture(false), stderr: capture(false) };
    expect(await main([...args, "--to-option", `namespace=${ns}-b`], piped)).toBe(0);
    expect(piped.stderr.text()).not.toMatch(/tables \|/);
    const copied = await Project.open("demo", memoryBackend, { namespace: `${ns}-b` });
    expect(await (await copied.getDataset("qa")).load()).toHaveLength(1200);
  });

  it("run shows done/total, failures, rate and ETA", async () => {
    const ns = `progress-run-${Date.now()}`;
    const project = await Project.create("demo", memoryBackend, { namespace: ns });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 20 }, (_, i) => ({ i })));
    await project.close();
    const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-progress-")));
    writeFileSync(path.join(cwd, "package.json"), "{}");
    writeFileSync(path.join(cwd, "task.mjs"), "export const half = (row) => { if (row.i % 2) throw new Error('odd'); return row.i * 2; };\n");
    const streams = { stdout: capture(false), stderr: capture(true) };
    const code = await main(
      ["--cwd", cwd, "run", "./task.mjs#half", "-d", "qa", "-e", "doubled", "-p", "demo", "-s", "memory", "-O", `namespace=${ns}`],
      streams,
    );
    expect(code).toBe(1);
    expect(streams.stderr.text()).toMatch(/20\/20 rows \| 10 failed \| [\d.]+\/s \| ETA/);
    expect(streams.stdout.text()).toMatch(/completed: 10 ok, 10 failed, 0 skipped of 20 rows/);
  });
});
