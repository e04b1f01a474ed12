import { expect, it } from "vitest";
import { type Task, map } from "@themis/core";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { type ExecutionContext, collectOutcomes } from "./context.js";
import { FIXTURE_PACKAGE } from "./fixture-module.js";

/** Module jobs: what the export receives, missing exports, and resolving specifiers from `resolveFrom`. */
export function moduleTests(ctx: ExecutionContext): void {
  if (!ctx.has("module")) return;

  it(
    "module jobs: the export gets attempt and index; a missing export is an error outcome",
    async () => {
      const out = await collectOutcomes(map(ctx.mod("context"), [null, null], ctx.opts({ ordered: true })));
      expect(out.map((o) => (o.ok ? o.value : o.error))).toEqual([
        { attempt: 1, index: 0 },
        { attempt: 1, index: 1 },
      ]);
      const [missing] = await collectOutcomes(map(ctx.mod("noSuchExport"), [null], ctx.opts()));
      expect(missing!.ok).toBe(false);
    },
    ctx.testTimeout,
  );

  const who = async (job: Omit<Extract<Task, { kind: "module" }>, "kind" | "export">): Promise<unknown> => {
    const [o] = await collectOutcomes(map({ kind: "module", export: "whoAmI", ...job }, [null], ctx.opts()));
    return o!.ok ? o!.value : o!.error;
  };

  it(
    "module jobs: a relative path is resolved from resolveFrom (a directory or a file: URL), not the current directory",
    async () => {
      const dir = ctx.executorPath(ctx.fixtureDir());
      expect(await who({ module: "./fixture.mjs", resolveFrom: dir })).toBe("fixture module");
      expect(await who({ module: "./fixture.mjs", resolveFrom: pathToFileURL(path.join(dir, "any-file.mjs")).href })).toBe("fixture module");
    },
    ctx.testTimeout,
  );

  it(
    "module jobs: a package specifier is resolved from resolveFrom with Node's rules (node_modules, exports map)",
    async () => {
      const dir = ctx.executorPath(ctx.fixtureDir());
      expect(await who({ module: `${FIXTURE_PACKAGE}/who`, resolveFrom: dir })).toBe("fixture package");
      const [missing] = await collectOutcomes(map({ kind: "module", module: `${FIXTURE_PACKAGE}/who`, export: "whoAmI" }, [null], ctx.opts()));
      expect(missing!.ok).toBe(false);
    },
    ctx.testTimeout,
  );
}
