import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { removeDir, tempDir } from "./helpers.js";

const packages = fileURLToPath(new URL("../..", import.meta.url));
const appDir = tempDir("themis-local-csv-app-");
afterAll(() => removeDir(appDir));

it("is found through its package.json by an app that depends only on core and this package", () => {
  writeFileSync(
    path.join(appDir, "package.json"),
    JSON.stringify({ name: "my-app", private: true, type: "module", dependencies: { "@themis/core": "*", "@themis/backend-local-csv": "*" } }),
  );
  // A pnpm-style install: the two dependencies as symlinks to the (built) workspace packages.
  mkdirSync(path.join(appDir, "node_modules", "@themis"), { recursive: true });
  symlinkSync(path.join(packages, "core"), path.join(appDir, "node_modules", "@themis", "core"), "dir");
  symlinkSync(path.join(packages, "backend-local-csv"), path.join(appDir, "node_modules", "@themis", "backend-local-csv"), "dir");
  writeFileSync(
    path.join(appDir, "main.js"),
    `import { Project } from "@themis/core";
const rootDir = process.argv[2];
const project = await Project.create("name", "local/csv", { rootDir });
const qa = await project.createDataset("qa");
const id = await qa.append({ question: "2+2?", answer: "4" });
await qa.appendMany([{ question: "1", answer: 1 }]);
await project.close();
const again = await Project.open("name", "local/csv", { rootDir });
const rows = await (await again.getDataset("qa")).load();
await again.close();
console.log(JSON.stringify({ id, rows }));
`,
  );
  const rootDir = path.join(appDir, "data");
  const out = execFileSync(process.execPath, ["main.js", rootDir], { cwd: appDir, encoding: "utf8" });
  const { id, rows } = JSON.parse(out) as { id: string; rows: unknown[] };
  expect(rows).toEqual([
    { _row_id: id, question: "2+2?", answer: "4" },
    { _row_id: expect.any(String), question: "1", answer: 1 },
  ]);
});
