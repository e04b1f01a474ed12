// Starts one Azurite blob service for the whole test run (AZURE_STORAGE_CONNECTION_STRING
// points the tests at an existing one instead) and tells the test files where it is.
import type { TestProject } from "vitest/node";
import { Azurite, azuriteMissing } from "./support/azurite.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection string of the test service, or null when there is none. */
    azureConnectionString: string | null;
    /** Why there is no service, when there is none. */
    azureMissing: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.AZURE_STORAGE_CONNECTION_STRING;
  if (existing) {
    project.provide("azureConnectionString", existing);
    project.provide("azureMissing", "");
    return async () => undefined;
  }
  const missing = azuriteMissing();
  if (missing) {
    project.provide("azureConnectionString", null);
    project.provide("azureMissing", `${missing}, and AZURE_STORAGE_CONNECTION_STRING is not set`);
    return async () => undefined;
  }
  const server = await Azurite.start();
  project.provide("azureConnectionString", server.connectionString);
  project.provide("azureMissing", "");
  return () => server.stop();
}
