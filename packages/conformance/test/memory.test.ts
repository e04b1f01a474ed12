import { memoryBackend, parseBackendConfig } from "@themis/core";
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { storageSuite, tableStoreSuite } from "../src/index.js";

// The reference backend: every behaviour of the suite must hold for it.
const namespace = `conformance-${randomUUID()}`;
storageSuite({ name: "memory", create: () => memoryBackend.create(parseBackendConfig(memoryBackend, { namespace })) });

// The raw tier on its own, as an author would run it before the project layer exists.
const raw = await memoryBackend.create(parseBackendConfig(memoryBackend, { namespace: `conformance-raw-${randomUUID()}` }));
afterAll(() => raw.close());
let tables = 0;
tableStoreSuite({ name: "memory", createTable: async () => (await raw.openProject(`p${++tables}`, "create")).createTable("dataset", "raw") });
