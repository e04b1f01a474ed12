import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { BIN, makeApp, themis } from "./helpers.js";

it("serve prints a URL with the token, answers with it (401 without), and stops cleanly on SIGTERM", async () => {
  const app = makeApp(["local-csv"], { "themis.config.yaml": "project: demo\nstorage:\n  type: local/csv\n  rootDir: ./data\n" });
  const project = await Project.create("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  await (await project.createDataset("qa")).append({ question: "2+2?" });
  await project.close();

  const child = spawn(process.execPath, [BIN, "serve"], { cwd: app, env: { ...process.env, NO_COLOR: "1" } });
  const exited = once(child, "exit");
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const found = stdout.match(/open (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/)?.[1];
      if (found) resolve(found);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}) before printing its URL:\n${stdout}`)));
  });
  expect(stdout).toContain('project "demo" on local/csv');
  const { origin, searchParams } = new URL(url);
  const token = searchParams.get("token")!;
  const withToken = await fetch(`${origin}/api/projects/demo`, { headers: { authorization: `Bearer ${token}` } });
  expect(await withToken.json()).toEqual({ name: "demo", datasets: ["qa"], experiments: [] });
  expect((await fetch(`${origin}/api/projects/demo`)).status).toBe(401);
  child.kill("SIGTERM");
  expect(await exited).toEqual([0, null]);
});

it("serve --export DIR writes a static snapshot and prints the file to open; a non-empty DIR is refused and kept", async () => {
  const app = makeApp(["local-csv"], { "themis.config.yaml": "project: demo\nstorage:\n  type: local/csv\n  rootDir: ./data\n" });
  const project = await Project.create("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  await (await project.createDataset("qa")).appendMany([{ question: "2+2?" }, { question: "3+3?" }]);
  await project.close();

  const done = await themis(app, ["serve", "--export", "snapshot"]);
  expect(done.stderr).toBe("");
  expect(done.code).toBe(0);
  const dir = path.join(realpathSync(app), "snapshot");
  expect(done.stdout).toContain(`open ${pathToFileURL(path.join(dir, "index.html")).href}`);
  expect(done.stdout).toContain("1 project(s), 1 table(s) (2 rows)");
  expect(readdirSync(dir).sort()).toEqual(["assets", "data", "index.html"]);

  const again = await themis(app, ["serve", "--export", "snapshot"]);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain("not empty");
  expect(readdirSync(dir).sort()).toEqual(["assets", "data", "index.html"]);
});
