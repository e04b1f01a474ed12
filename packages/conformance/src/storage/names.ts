import { describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import type { StorageContext } from "./context.js";

/**
 * Names: kept exactly as given; two names that differ only in case are two projects or
 * tables, or (capability `caseInsensitiveNames`) the second is refused, never merged.
 */
export function nameTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  describe("names", () => {
    it("accepts names with dots, dashes, spaces and unicode", async () => {
      const p = await ctx.fresh();
      const names = ["v1.2-final", "with space", "ünï_日本"];
      for (const n of names) await (await p.createDataset(n)).append({ n });
      expect(await p.listDatasets()).toEqual([...names].sort());
      for (const n of names) expect((await (await p.getDataset(n)).load())[0]?.n).toBe(n);
    });
    it("keeps the case of project and table names", async () => {
      const name = ctx.track(`Conf_${ctx.uniqueName().slice(5)}_MiXed`);
      const p = await Project.create(name, ctx.backend());
      try {
        expect(await ctx.backend().listProjects()).toContain(name);
        await (await p.createDataset("Qa_Set")).append({ v: 1 });
        await p.createExperiment("RunA");
        expect(await p.listDatasets()).toEqual(["Qa_Set"]);
        expect(await p.listExperiments()).toEqual(["RunA"]);
        expect((await (await p.getDataset("Qa_Set")).load()).map((r) => r.v)).toEqual([1]);
      } finally {
        await p.close();
      }
      const again = await Project.open(name, ctx.backend());
      expect(await again.listDatasets()).toEqual(["Qa_Set"]);
      await again.close();
    });
    if (ctx.caps.caseInsensitiveNames) {
      it("refuses a name that differs only in case from an existing one (ALREADY_EXISTS), keeping the first", async () => {
        const p = await ctx.fresh();
        await (await p.createDataset("Data")).append({ v: "upper" });
        await expectCode(p.createDataset("data"), "ERR_THEMIS_ALREADY_EXISTS");
        expect(await p.listDatasets()).toEqual(["Data"]);
        expect((await (await p.getDataset("Data")).load()).map((r) => r.v)).toEqual(["upper"]);
        await expectCode(Project.create(ctx.track(p.name.toUpperCase()), ctx.backend()), "ERR_THEMIS_ALREADY_EXISTS");
      });
    } else {
      it("keeps names that differ only in case apart", async () => {
        const p = await ctx.fresh();
        await (await p.createDataset("Data")).append({ v: "upper" });
        await (await p.createDataset("data")).append({ v: "lower" });
        expect(await p.listDatasets()).toEqual(["Data", "data"]);
        expect((await (await p.getDataset("Data")).load()).map((r) => r.v)).toEqual(["upper"]);
        expect((await (await p.getDataset("data")).load()).map((r) => r.v)).toEqual(["lower"]);
        const upper = ctx.track(p.name.toUpperCase());
        const q = await Project.create(upper, ctx.backend());
        expect(await q.listDatasets()).toEqual([]);
        await q.close();
        expect(await p.listDatasets()).toEqual(["Data", "data"]);
      });
    }
  });
}
