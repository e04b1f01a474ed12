import { describe, expect, expectTypeOf, it } from "vitest";
import { type ConfigFor, Project, memoryBackend } from "../src/index.js";

// Type tests (checked by `pnpm typecheck`: an unused `@ts-expect-error` fails it), with the
// same calls run so each also shows the run-time error the types now prevent.
describe("configs typed by backend name: the built-ins", () => {
  it("memory takes { namespace?: string }", async () => {
    expectTypeOf<ConfigFor<"memory">>().toEqualTypeOf<{ namespace?: string | undefined }>();
    const project = await Project.create("typed_builtin", "memory", { namespace: "typed" });
    await project.close();
    // @ts-expect-error "namespce" is misspelt
    await expect(Project.open("typed_builtin", "memory", { namespce: "typed" })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    // @ts-expect-error namespace is a string
    await expect(Project.open("typed_builtin", "memory", { namespace: 1 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  });

  it("a definition object, a URI or an undeclared name take any object (checked at run time)", async () => {
    expectTypeOf<ConfigFor<"vault://host">>().toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf<ConfigFor<typeof memoryBackend>>().toEqualTypeOf<Record<string, unknown>>();
    const project = await Project.create("typed_definition", memoryBackend, { namespace: "typed" });
    await project.close();
  });
});
