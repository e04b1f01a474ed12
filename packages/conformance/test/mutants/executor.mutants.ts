import { afterAll } from "vitest";
import { type ExecutionArea, type ExecutionSuiteOptions, executionSuite } from "../../src/index.js";
import { DESCRIBE_CANARY, closeDoesNothing, describing, ignoresResolveFrom, leaksSecretInDescribe, local, made, passesEnvThrough } from "./executor-mutants.js";

// Run by ../mutation.test.ts (not matched by the package's test glob). Each mutant runs
// the areas that hold its hole; the reference executor runs all of those areas and must pass.
const base = {
  kinds: ["function", "module", "command"],
  capabilities: { hostProcesses: true, startupMs: 1500 },
  timeout: 20_000,
} satisfies Partial<ExecutionSuiteOptions>;
const areas = (...list: ExecutionArea[]): { areas: ExecutionArea[] } => ({ areas: list });

afterAll(async () => {
  await Promise.all(made.map((e) => e.close()));
});

executionSuite({ ...base, name: "reference", create: () => local(), ...areas("commands", "modules", "timeouts", "close") });
executionSuite({ ...base, name: "passes-env-through", create: async () => passesEnvThrough(await local()), ...areas("commands") });
executionSuite({ ...base, name: "ignores-resolve-from", create: async () => ignoresResolveFrom(await local()), ...areas("modules") });
// A grace period beyond the test timeout: SIGTERM only, in effect (SIGKILL comes later, to clean up).
executionSuite({ ...base, kinds: ["command"], name: "no-sigkill-escalation", create: () => local({ killGraceMs: 21_000 }), ...areas("timeouts") });
executionSuite({ ...base, kinds: ["command"], name: "close-does-nothing", create: async () => closeDoesNothing(await local()), ...areas("close") });
// describe() (optional): the reference answers facts without its secret; the mutant leaks it.
const describes = { capabilities: { ...base.capabilities, describes: true }, secrets: [DESCRIBE_CANARY] };
executionSuite({
  ...base,
  ...describes,
  name: "reference",
  create: async () => describing(await local(), async () => ({ pool: "local", threads: 4 })),
  ...areas("basics"),
});
executionSuite({ ...base, ...describes, name: "leaks-secret-in-describe", create: async () => leaksSecretInDescribe(await local()), ...areas("basics") });
