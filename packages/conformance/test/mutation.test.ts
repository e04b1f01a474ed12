import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestModule, startVitest } from "vitest/node";

// The mutation suite: the conformance suites run (in a nested vitest) against deliberately
// broken variants of the memory backend and the local executor (./mutants/). Each mutant
// must fail the tests that guard its hole; the unbroken reference must pass the same
// suites, so the failures come from the mutation and nothing else.
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Test name -> "passed" | "failed" | ..., grouped by the suite's label ("storage conformance: <mutant>"). */
type Results = Map<string, Map<string, string>>;

async function runMutants(): Promise<Results> {
  const vitest = await startVitest([], {
    root: packageDir,
    config: false,
    include: ["test/mutants/*.mutants.ts"],
    watch: false,
    reporters: [{}],
    // The mutants' hanging tests run into their own timeouts; the files run side by side.
    fileParallelism: true,
  });
  try {
    const results: Results = new Map();
    for (const module of vitest.state.getTestModules() as TestModule[]) {
      for (const test of module.children.allTests()) {
        const [suite, ...rest] = test.fullName.split(" > ");
        if (!results.has(suite!)) results.set(suite!, new Map());
        results.get(suite!)!.set(rest.join(" > "), test.result().state);
      }
    }
    return results;
  } finally {
    await vitest.close();
  }
}

/** Each mutant with tests that must fail for it (a substring of the test's name). */
const MUTANTS: Record<string, string[]> = {
  "storage conformance: unsorted-list-projects": ["listProjects returns every name sorted"],
  "storage conformance: close-does-nothing": ["after close, calls through the backend and every handle it gave out fail with CLOSED"],
  "storage conformance: folds-name-case": ["keeps the case of project and table names", "keeps names that differ only in case apart"],
  "storage conformance: writes-through-stale-handles": [
    "a handle to a deleted table fails with NOT_FOUND on every call",
    "handles into a deleted project fail with NOT_FOUND",
  ],
  "storage conformance: shares-returned-rows": ["returns rows the caller owns", "does not let callers change stored rows by mutating objects"],
  "execution conformance: passes-env-through": ["inheritEnv: false starts from an empty environment"],
  "execution conformance: ignores-resolve-from": ["a relative path is resolved from resolveFrom", "a package specifier is resolved from resolveFrom"],
  "execution conformance: no-sigkill-escalation": ["a command that ignores SIGTERM is killed"],
  "execution conformance: close-does-nothing": ["refuses jobs after close with ERR_THEMIS_CLOSED", "stops command jobs still running"],
  "execution conformance: leaks-secret-in-describe": ["describe() answers a non-empty JSON object"],
};

describe("mutation suite: the conformance suites catch broken backends", () => {
  let results: Results;
  beforeAll(async () => {
    results = await runMutants();
  }, 420_000);

  for (const reference of ["storage conformance: reference", "execution conformance: reference"]) {
    it(`${reference} passes every test it runs`, () => {
      const tests = results.get(reference);
      expect(tests?.size ?? 0).toBeGreaterThan(10);
      const failed = [...tests!].filter(([, state]) => state !== "passed").map(([name, state]) => `${name}: ${state}`);
      expect(failed).toEqual([]);
    });
  }

  for (const [mutant, mustFail] of Object.entries(MUTANTS)) {
    it(`${mutant} is caught by: ${mustFail.join("; ")}`, () => {
      const tests = [...(results.get(mutant) ?? new Map<string, string>())];
      expect(tests.length).toBeGreaterThan(0);
      for (const needle of mustFail) {
        const matching = tests.filter(([name]) => name.includes(needle));
        expect(matching.length, `no test named like "${needle}"`).toBeGreaterThan(0);
        for (const [name, state] of matching) expect(state, name).toBe("failed");
      }
    });
  }
});
