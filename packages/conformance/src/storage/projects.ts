import { describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import type { StorageContext } from "./context.js";

/** Projects: create, open, list (sorted), delete, and keeping projects apart. */
export function projectTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  describe("projects", () => {
    it("creates a project that listProjects shows", async () => {
      const p = await ctx.fresh();
      expect(await ctx.backend().listProjects()).toContain(p.name);
    });
    it("listProjects returns every name sorted (JavaScript's default order)", async () => {
      const stem = ctx.uniqueName();
      // Created out of order, with upper case, digits and "_" that sort apart from letters
      // (no two equal but for case: a case-insensitive store refuses those).
      const names = ["b", "A", "_z", "a2", "a10", "C", "ä"].map((s) => ctx.track(`${stem}_${s}`));
      for (const name of names) await (await Project.create(name, ctx.backend())).close();
      const listed = await ctx.backend().listProjects();
      expect(listed.filter((n) => names.includes(n))).toEqual([...names].sort());
      expect(listed).toEqual([...listed].sort());
    });
    it("refuses to create a project that exists (ALREADY_EXISTS)", async () => {
      const p = await ctx.fresh();
      await expectCode(Project.create(p.name, ctx.backend()), "ERR_THEMIS_ALREADY_EXISTS");
    });
    it("refuses to open a missing project (NOT_FOUND)", async () => {
      await expectCode(Project.open(ctx.uniqueName(), ctx.backend()), "ERR_THEMIS_NOT_FOUND");
    });
    it("openOrCreate creates a missing project and opens an existing one with its tables", async () => {
      const name = ctx.uniqueName();
      const a = await Project.openOrCreate(name, ctx.backend());
      await (await a.createDataset("d")).append({ x: 1 });
      await a.close();
      const b = await Project.openOrCreate(name, ctx.backend());
      expect((await (await b.getDataset("d")).load()).map((r) => r.x)).toEqual([1]);
      await b.close();
    });
    it("deletes a project with its tables and leaves other projects alone", async () => {
      const doomed = await ctx.fresh();
      const kept = await ctx.fresh();
      await (await doomed.createDataset("d")).append({ x: 1 });
      await (await kept.createDataset("d")).append({ x: 2 });
      await ctx.backend().deleteProject(doomed.name);
      expect(await ctx.backend().listProjects()).not.toContain(doomed.name);
      await expectCode(Project.open(doomed.name, ctx.backend()), "ERR_THEMIS_NOT_FOUND");
      expect((await (await kept.getDataset("d")).load()).map((r) => r.x)).toEqual([2]);
      if (ctx.options.oracle) expect(await ctx.oracleIds(doomed, "dataset", "d")).toBeUndefined();
    });
    it("refuses to delete a missing project (NOT_FOUND)", async () => {
      await expectCode(ctx.backend().deleteProject(ctx.uniqueName()), "ERR_THEMIS_NOT_FOUND");
    });
    it("keeps tables of different projects apart", async () => {
      const a = await ctx.fresh();
      const b = await ctx.fresh();
      await (await a.createDataset("same")).append({ who: "a" });
      await (await b.createDataset("same")).append({ who: "b" });
      expect((await (await a.getDataset("same")).load()).map((r) => r.who)).toEqual(["a"]);
      expect((await (await b.getDataset("same")).load()).map((r) => r.who)).toEqual(["b"]);
    });
  });
}
