import { expect, it } from "vitest";
import { type Job, type Task, map, toJsonRow } from "@themis/core";
import { type ExecutionContext, collectOutcomes } from "./context.js";

/** The executor declares itself; unknown and undeclared job kinds are refused before anything runs. */
export function basicTests(ctx: ExecutionContext): void {
  it("declares a name and its job kinds", () => {
    const executor = ctx.executor();
    expect(typeof executor.name).toBe("string");
    expect(executor.name.length).toBeGreaterThan(0);
    expect([...executor.kinds].sort()).toEqual([...ctx.options.kinds].sort());
    expect(typeof executor.close).toBe("function");
  });

  it("rejects a job of an unknown kind with ERR_THEMIS_UNSUPPORTED", async () => {
    const result = await ctx
      .executor()
      .run({ kind: "bogus" } as unknown as Job, { signal: new AbortController().signal, attempt: 1, index: 0 })
      .then(
        (r) => (r.ok ? undefined : r.error.code),
        (e: { code?: string }) => e.code,
      );
    expect(result).toBe("ERR_THEMIS_UNSUPPORTED");
  });

  if (ctx.options.capabilities?.describes) {
    it("describe() answers a non-empty JSON object that a run record keeps as is, without secrets", async () => {
      const executor = ctx.executor();
      expect(typeof executor.describe).toBe("function");
      const facts = await executor.describe!();
      // toJsonRow throws on what a store cannot keep exactly (Date, NaN, functions, arrays).
      expect(toJsonRow(facts)).toEqual(facts);
      expect(Object.keys(facts).length).toBeGreaterThan(0);
      const text = JSON.stringify(facts);
      for (const secret of ctx.options.secrets ?? []) expect(text).not.toContain(secret);
    });
  }

  for (const kind of ["function", "module", "command"] as const) {
    if (ctx.has(kind)) continue;
    it(`rejects ${kind} jobs before anything runs (not a declared kind)`, async () => {
      let read = 0;
      function* items() {
        for (;;) {
          read++;
          yield { n: read };
        }
      }
      const task = kind === "module" ? ctx.mod("double") : ctx.doubler(kind);
      let code: string | undefined;
      try {
        await collectOutcomes(map(task as Task, items(), ctx.opts()));
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code).toBe("ERR_THEMIS_UNSUPPORTED");
      expect(read).toBe(0);
    });
  }
}
