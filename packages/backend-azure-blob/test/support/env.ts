import { randomBytes } from "node:crypto";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { requireService } from "@themis/conformance";
import type { StorageBackend } from "@themis/core";
import { afterAll, beforeAll, inject } from "vitest";
import { type AzureBlobStorage, type AzureConfigInput, createAzureBlobStorage } from "../../src/index.js";

/** The test service's connection string, or undefined when tests must skip (CI=true: they fail instead). */
export function azureService(): string | undefined {
  const cs = inject("azureConnectionString");
  return requireService("Azure Blob (Azurite)", cs !== null, inject("azureMissing")) ? cs! : undefined;
}

/** A raw client of a container (oracles and baselines, not through the backend). */
export function rawContainer(connectionString: string, container: string): ContainerClient {
  return BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
}

/** A new container with a random name. */
export async function freshContainer(connectionString: string, label = "t"): Promise<string> {
  const container = `themis-${label}-${randomBytes(4).toString("hex")}`;
  await rawContainer(connectionString, container).create();
  return container;
}

/** What {@link useFreshContainer} gives a test file. */
export interface FreshContainer {
  /** A backend on the fresh container, closed after the file's tests. */
  backend(extra?: Partial<AzureConfigInput>): AzureBlobStorage;
  /** Close `backend` after the file's tests. */
  track<B extends StorageBackend>(backend: B): B;
}

/** Before a file's tests a fresh container (handed to `ready`); after them, its backends closed. */
export function useFreshContainer(
  connectionString: string | undefined,
  label: string,
  ready: (container: string, raw: ContainerClient) => void = () => undefined,
): FreshContainer {
  const opened: StorageBackend[] = [];
  let container = "";
  beforeAll(async () => {
    if (!connectionString) return;
    container = await freshContainer(connectionString, label);
    ready(container, rawContainer(connectionString, container));
  });
  afterAll(async () => {
    for (const b of opened) await b.close();
  });
  const track = <B extends StorageBackend>(backend: B): B => {
    opened.push(backend);
    return backend;
  };
  return { track, backend: (extra = {}) => track(createAzureBlobStorage({ container, connectionString, ...extra })) };
}
