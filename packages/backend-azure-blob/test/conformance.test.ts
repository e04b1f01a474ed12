import { storageSuite } from "@themis/conformance";
import { parseBackendConfig } from "@themis/core";
import azureBlobBackend from "../src/index.js";
import { azureService, freshContainer, rawContainer } from "./support/env.js";
import { azureOracle } from "./support/oracle.js";
import { beforeAll } from "vitest";

const connectionString = azureService();
const prefix = "conformance/";
let container = "";

beforeAll(async () => {
  if (connectionString) container = await freshContainer(connectionString, "conf");
});

storageSuite({
  name: "azure-blob",
  skip: connectionString ? false : "no Azure Blob service",
  create: () => azureBlobBackend.create(parseBackendConfig(azureBlobBackend, { container, prefix, connectionString })),
  oracle: { rowIds: (project, kind, table) => azureOracle(rawContainer(connectionString!, container), prefix).rowIds(project, kind, table) },
  timeout: 60_000,
});
