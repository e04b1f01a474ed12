import { describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { collect } from "./fixtures.js";
import type { StorageContext } from "./context.js";

/**
 * Handles address their table or project by name: after a delete, calls through older
 * handles fail with NOT_FOUND (nothing is written into a detached copy, no deleted row is
 * read, no deleted project comes back); after a re-create they act on the new table, or
 * (capability `handlesById`) keep failing with NOT_FOUND.
 */
export function handleTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  const NOT_FOUND = "ERR_THEMIS_NOT_FOUND";
  describe("handles after delete", () => {
    it("a handle to a deleted table fails with NOT_FOUND on every call", async () => {
      const p = await ctx.fresh();
      const stale = await p.createDataset("d");
      const [id] = await stale.appendMany([{ v: 1 }, { v: 2 }]);
      await p.deleteDataset("d");
      await expectCode(stale.load(), NOT_FOUND);
      await expectCode(collect(stale.entries()), NOT_FOUND);
      await expectCode(stale.get(id!), NOT_FOUND);
      await expectCode(stale.append({ v: 3 }), NOT_FOUND);
      await expectCode(stale.update(id!, { v: 4 }), NOT_FOUND);
      await expectCode(stale.delete(id!), NOT_FOUND);
      // Nothing came back to life under that name.
      expect(await p.listDatasets()).toEqual([]);
      await expectCode(p.getDataset("d"), NOT_FOUND);
      if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "d")).toBeUndefined();
    });
    if (ctx.caps.handlesById) {
      it("a handle to a table deleted and created again keeps failing with NOT_FOUND and leaves the new table alone", async () => {
        const p = await ctx.fresh();
        const stale = await p.createDataset("d");
        const [old] = await stale.appendMany([{ v: "old 1" }, { v: "old 2" }]);
        await p.deleteDataset("d");
        const fresh = await p.createDataset("d");
        const id = await fresh.append({ v: "new" });
        await expectCode(stale.load(), NOT_FOUND);
        await expectCode(stale.get(old!), NOT_FOUND);
        await expectCode(stale.append({ v: "through the old handle" }), NOT_FOUND);
        await expectCode(stale.update(id, { v: "overwritten?" }), NOT_FOUND);
        await expectCode(stale.delete(id), NOT_FOUND);
        expect(await fresh.load()).toEqual([{ _row_id: id, v: "new" }]);
      });
    } else {
      it("a handle to a table deleted and created again acts on the new table", async () => {
        const p = await ctx.fresh();
        const stale = await p.createDataset("d");
        await stale.appendMany([{ v: "old 1" }, { v: "old 2" }]);
        await p.deleteDataset("d");
        const fresh = await p.createDataset("d");
        expect(await stale.load()).toEqual([]);
        const id = await stale.append({ v: "through the old handle" });
        const id2 = await fresh.append({ v: "through the new handle" });
        expect((await fresh.load()).map((r) => r.v)).toEqual(["through the old handle", "through the new handle"]);
        expect(ctx.ids(await stale.load())).toEqual([id, id2]);
        if (ctx.options.oracle) expect(await ctx.oracleIds(p, "dataset", "d")).toEqual([id, id2]);
      });
    }
    it("handles into a deleted project fail with NOT_FOUND and never create it again", async () => {
      const p = await ctx.fresh();
      const table = await p.createDataset("d");
      const [id] = await table.appendMany([{ v: 1 }]);
      await ctx.backend().deleteProject(p.name);
      await expectCode(table.load(), NOT_FOUND);
      await expectCode(table.append({ v: 2 }), NOT_FOUND);
      await expectCode(table.get(id!), NOT_FOUND);
      await expectCode(p.createDataset("other"), NOT_FOUND);
      await expectCode(p.createExperiment("other"), NOT_FOUND);
      await expectCode(p.getDataset("d"), NOT_FOUND);
      await expectCode(p.listDatasets(), NOT_FOUND);
      await expectCode(p.deleteDataset("d"), NOT_FOUND);
      expect(await ctx.backend().listProjects()).not.toContain(p.name);
      await expectCode(Project.open(p.name, ctx.backend()), NOT_FOUND);
    });
    if (ctx.caps.handlesById) {
      it("a handle to a project deleted and created again keeps failing with NOT_FOUND and leaves the new project alone", async () => {
        const p = await ctx.fresh();
        await ctx.backend().deleteProject(p.name);
        const again = await Project.create(p.name, ctx.backend());
        await expectCode(p.listDatasets(), NOT_FOUND);
        await expectCode(p.createDataset("new"), NOT_FOUND);
        expect(await again.listDatasets()).toEqual([]);
        await again.close();
      });
    } else {
      it("a handle to a project deleted and created again acts on the new project", async () => {
        const p = await ctx.fresh();
        await (await p.createDataset("old")).append({ v: 1 });
        await ctx.backend().deleteProject(p.name);
        const again = await Project.create(p.name, ctx.backend());
        expect(await p.listDatasets()).toEqual([]);
        await (await p.createDataset("new")).append({ v: 2 });
        expect(await again.listDatasets()).toEqual(["new"]);
        expect((await (await again.getDataset("new")).load()).map((r) => r.v)).toEqual([2]);
        await again.close();
      });
    }
  });
}
