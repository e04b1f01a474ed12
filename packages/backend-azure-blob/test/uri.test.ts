// The `azure://` URI through core's registry, with the secret from the environment: what a
// user writes as `Project.create("p", "azure://container/prefix")`.
import type { ContainerClient } from "@azure/storage-blob";
import { Project, Registry } from "@themis/core";
import { describe, expect, it, vi } from "vitest";
import azureBlobBackend from "../src/index.js";
import { Layout } from "../src/layout.js";
import { azureService, useFreshContainer } from "./support/env.js";

const connectionString = azureService();
let container = "";
let raw: ContainerClient;
useFreshContainer(connectionString, "uri", (c, r) => {
  container = c;
  raw = r;
});

describe.skipIf(!connectionString)("azure:// URIs", () => {
  it("open a project under the URI's prefix with credentials from AZURE_STORAGE_CONNECTION_STRING", async () => {
    vi.stubEnv("AZURE_STORAGE_CONNECTION_STRING", connectionString!);
    try {
      const registry = new Registry({ discover: false }).register(azureBlobBackend);
      const project = await Project.create("from-uri", `azure://${container}/team-a/themis?concurrency=2`, undefined, { registry });
      await (await project.createDataset("qa")).append({ q: "2+2?" });
      await project.close();
      expect(await raw.getBlobClient(new Layout("team-a/themis/").projectMarker("from-uri")).exists()).toBe(true);
      const again = await Project.open("from-uri", `azure://${container}/team-a/themis`, undefined, { registry });
      expect((await (await again.getDataset("qa")).load()).map((r) => r.q)).toEqual(["2+2?"]);
      await again.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
