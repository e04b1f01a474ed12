import { describe, expect, it } from "vitest";
import { Project, type Row, type StorageBackend } from "@themis/core";
import type { StorageContext } from "./context.js";

/** What core checks before the backend is called: names, rows, schemas, closed projects. */
export function validationTests(ctx: StorageContext): void {
  const { expectCode } = ctx;
  describe("validation before the backend", () => {
    const spy = (): { backend: StorageBackend; calls: string[] } => {
      const calls: string[] = [];
      const wrap = <T extends object>(target: T): T =>
        new Proxy(target, {
          get(obj, prop, receiver) {
            const value = Reflect.get(obj, prop, receiver) as unknown;
            if (typeof value !== "function") return value;
            return (...args: unknown[]) => {
              calls.push(String(prop));
              const out = (value as (...a: unknown[]) => unknown).apply(obj, args);
              return out instanceof Promise ? out.then((r) => (r && typeof r === "object" ? wrap(r) : r)) : out;
            };
          },
        });
      return { backend: wrap(ctx.backend()), calls };
    };
    const unsafe = ["", "../x", "a/b", "a\\b", "..", "x\u0000y", "tab\tname", "CON", "nul.txt", ".hidden", "__internal", "x".repeat(129)];
    it("rejects unsafe project names (INVALID_NAME) before the backend is called", async () => {
      const s = spy();
      for (const name of unsafe) await expectCode(Project.create(name, s.backend), "ERR_THEMIS_INVALID_NAME");
      expect(s.calls).toEqual([]);
    });
    it("rejects unsafe table names (INVALID_NAME) before the backend is called", async () => {
      const name = ctx.uniqueName();
      const s = spy();
      const p = await Project.create(name, s.backend);
      s.calls.length = 0;
      for (const n of unsafe) {
        await expectCode(p.createDataset(n), "ERR_THEMIS_INVALID_NAME");
        await expectCode(p.getExperiment(n), "ERR_THEMIS_INVALID_NAME");
        await expectCode(p.deleteDataset(n), "ERR_THEMIS_INVALID_NAME");
      }
      expect(s.calls).toEqual([]);
      await p.close();
    });
    it("rejects rows that are not JSON (INVALID_ROW) and stores nothing of the batch", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      const bad: unknown[] = [{ n: Number.NaN }, { d: new Date(0) }, { f: () => 1 }, { i: Infinity }, { b: 1n }, [1, 2], "str", null];
      for (const row of bad) await expectCode(t.appendMany([{ ok: 1 }, row as Row]), "ERR_THEMIS_INVALID_ROW");
      expect(await t.load()).toEqual([]);
    });
    it("rejects a row that fails the table's schema and stores nothing", async () => {
      const p = await ctx.fresh();
      const schema = {
        "~standard": {
          version: 1 as const,
          vendor: "conformance",
          validate: (v: unknown) =>
            typeof (v as { answer?: unknown }).answer === "string"
              ? { value: v as { answer: string } }
              : { issues: [{ message: "answer must be a string", path: ["answer"] }] },
        },
      };
      const t = await p.createDataset("d", { schema });
      await expect(t.append({ answer: 4 } as unknown as { answer: string })).rejects.toMatchObject({
        code: "ERR_THEMIS_INVALID_ROW",
        issues: [{ path: "answer", message: "answer must be a string" }],
      });
      await t.append({ answer: "4" });
      expect((await t.load()).map((r) => r.answer)).toEqual(["4"]);
    });
    it("rejects the same _row_id twice in one batch", async () => {
      const p = await ctx.fresh();
      const t = await p.createDataset("d");
      await expectCode(t.appendMany([{ _row_id: "dup" }, { _row_id: "dup" }]), "ERR_THEMIS_INVALID_ROW");
      expect(await t.load()).toEqual([]);
    });
    it("refuses to work on a closed project (CLOSED)", async () => {
      const name = ctx.uniqueName();
      const p = await Project.create(name, ctx.backend());
      const t = await p.createDataset("d");
      await p.close();
      await expectCode(t.append({ x: 1 }), "ERR_THEMIS_CLOSED");
      await expectCode(p.listDatasets(), "ERR_THEMIS_CLOSED");
    });
  });
}
