import { describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import type { StorageContext } from "./context.js";

/** close(): idempotent, and afterwards every call through the backend or its handles is CLOSED. */
export function closeTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  const CLOSED = "ERR_THEMIS_CLOSED";
  describe("close", () => {
    it("is idempotent: closing twice resolves", async () => {
      const other = await ctx.options.create();
      await other.listProjects();
      await other.close();
      await expect(other.close()).resolves.toBeUndefined();
    });
    it("after close, calls through the backend and every handle it gave out fail with CLOSED", async () => {
      const name = ctx.uniqueName();
      const other = await ctx.options.create();
      const project = await other.openProject(name, "create");
      const table = await project.createTable("dataset", "d");
      await table.append([{ _row_id: "r1", v: 1 }]);
      await other.close();
      // A call may throw at once or reject: users go through core, where both end as a rejection.
      const call = async <T>(fn: () => Promise<T>): Promise<T> => fn();
      await expectCode(
        call(() => other.listProjects()),
        CLOSED,
      );
      await expectCode(
        call(() => other.openProject(name, "open")),
        CLOSED,
      );
      await expectCode(
        call(() => other.openProject(ctx.uniqueName(), "create")),
        CLOSED,
      );
      await expectCode(
        call(() => other.deleteProject(name)),
        CLOSED,
      );
      await expectCode(
        call(() => project.listTables("dataset")),
        CLOSED,
      );
      await expectCode(
        call(() => project.openTable("dataset", "d")),
        CLOSED,
      );
      await expectCode(
        call(() => project.createTable("dataset", "e")),
        CLOSED,
      );
      await expectCode(
        call(() => project.deleteTable("dataset", "d")),
        CLOSED,
      );
      await expectCode(
        call(() => table.load()),
        CLOSED,
      );
      await expectCode(
        call(() => table.get("r1")),
        CLOSED,
      );
      await expectCode(
        call(() => table.append([{ _row_id: "r2", v: 2 }])),
        CLOSED,
      );
      await expectCode(
        call(() => table.update({ _row_id: "r1", v: 3 })),
        CLOSED,
      );
      await expectCode(
        call(() => table.delete("r1")),
        CLOSED,
      );
      // Closing lost nothing and wrote nothing more: the store still holds the one row.
      if (ctx.caps.persistent) {
        const p = await Project.open(name, ctx.backend());
        expect(await (await p.getDataset("d")).load()).toEqual([{ _row_id: "r1", v: 1 }]);
        await p.close();
      }
    });
    it("a project given a backend instance leaves it open when the project closes", async () => {
      const given = await ctx.options.create();
      const p = await Project.create(ctx.uniqueName(), given);
      await p.close();
      expect(Array.isArray(await given.listProjects())).toBe(true);
      await given.close();
      await expectCode(given.listProjects(), CLOSED);
    });
  });
}
