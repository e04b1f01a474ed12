import { randomUUID } from "node:crypto";
import { type StorageBackend, memoryBackend, parseBackendConfig } from "@themis/core";
import { storageSuite } from "../../src/index.js";
import { closeDoesNothing, foldsNameCase, sharesReturnedRows, unsortedListProjects, writesThroughStaleHandles } from "./storage-mutants.js";

// Run by ../mutation.test.ts (not matched by the package's test glob): the reference
// backend, which must pass, and one broken variant per suite, each of which must fail.
/** A backend factory over one namespace of its own, mutated by `mutate`. */
const shared = (mutate: (b: StorageBackend) => StorageBackend): (() => Promise<StorageBackend>) => {
  const namespace = `mutants-${randomUUID()}`;
  return async () => mutate(await memoryBackend.create(parseBackendConfig(memoryBackend, { namespace })));
};

storageSuite({ name: "reference", create: shared((b) => b) });
storageSuite({ name: "unsorted-list-projects", create: shared(unsortedListProjects) });
storageSuite({ name: "close-does-nothing", create: shared(closeDoesNothing) });
storageSuite({ name: "folds-name-case", create: shared(foldsNameCase) });
storageSuite({ name: "writes-through-stale-handles", create: shared(writesThroughStaleHandles) });
storageSuite({ name: "shares-returned-rows", create: shared(sharesReturnedRows) });
