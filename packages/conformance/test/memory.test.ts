import { memoryBackend, parseBackendConfig } from "@themis/core";
import { randomUUID } from "node:crypto";
import { storageSuite } from "../src/index.js";

// The reference backend: every behaviour of the suite must hold for it.
const namespace = `conformance-${randomUUID()}`;
storageSuite({ name: "memory", create: () => memoryBackend.create(parseBackendConfig(memoryBackend, { namespace })) });
