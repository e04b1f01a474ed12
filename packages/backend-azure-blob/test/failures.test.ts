// A service that goes away, one that never answers, and blobs that are not what the backend
// wrote: each is a typed error, never a hang or a silent wrong answer.
import type { BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { startSilentServer } from "@themis/conformance";
import { Project } from "@themis/core";
import { describe, expect, it } from "vitest";
import { createAzureBlobStorage } from "../src/index.js";
import { Layout, segmentName } from "../src/layout.js";
import { Azurite, DEV_ACCOUNT, devConnectionString, azuriteMissing } from "./support/azurite.js";
import { azureService, useFreshContainer } from "./support/env.js";

const connectionString = azureService();
let raw: ContainerClient;
const { backend, track } = useFreshContainer(connectionString, "fail", (_c, r) => {
  raw = r;
});

describe.skipIf(azuriteMissing() !== undefined)("a service that goes away", () => {
  it("is UNAVAILABLE (retryable) for writes, reads and listings", async () => {
    const server = await Azurite.start();
    try {
      const setup = createAzureBlobStorage({ container: "gone", connectionString: server.connectionString });
      await setup.store.client.create();
      const storage = track(createAzureBlobStorage({ container: "gone", connectionString: server.connectionString, maxTries: 2, requestTimeoutMs: 5_000 }));
      const project = await Project.create("p", storage);
      const table = await project.createDataset("t");
      await table.appendMany([{ a: 1 }, { a: 2 }]);
      await server.stop();
      await expect(table.append({ a: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", backend: "azure-blob", retryable: true });
      await expect(table.load()).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true });
      await expect(storage.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
    } finally {
      await server.stop();
    }
  });

  it("a server that accepts connections and never answers is UNAVAILABLE after requestTimeoutMs, not a hang", async () => {
    const silent = await startSilentServer();
    try {
      const endpoint = `http://127.0.0.1:${silent.port}/${DEV_ACCOUNT}`;
      const storage = track(
        createAzureBlobStorage({ container: "silent", connectionString: devConnectionString(endpoint), maxTries: 1, requestTimeoutMs: 500 }),
      );
      await expect(storage.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true });
    } finally {
      await silent.close();
    }
  });
});

describe.skipIf(!connectionString)("blobs the backend did not write", () => {
  it("a torn or edited segment is CORRUPT_DATA naming the blob, for readers and writers", async () => {
    const project = await Project.create("corrupt", backend());
    const table = await project.createDataset("t");
    await table.appendMany([{ a: 1 }]);
    await table.appendMany([{ a: 2 }]);
    const manifest = JSON.parse((await raw.getBlobClient(new Layout("").manifest("corrupt", "dataset", "t")).downloadToBuffer()).toString()) as {
      tableId: string;
    };
    const name = segmentName(new Layout("").segments("corrupt", "dataset", "t", manifest.tableId), 2);
    const torn = '{"themis":"azure-blob-segment","v":1,"writeId":"w"}\n["a",{"_row_id":"x"';
    await raw.getBlockBlobClient(name).upload(torn, torn.length);
    const error = await table.load().catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", backend: "azure-blob" });
    expect((error as Error).message).toContain(name);
    // A fresh writer folds the table first, and refuses to write on top of it.
    const other = await (await Project.open("corrupt", backend())).getDataset("t");
    await expect(other.append({ a: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
  });

  it("a manifest that is not JSON is CORRUPT_DATA", async () => {
    const project = await Project.create("bad-manifest", backend());
    const table = await project.createDataset("t");
    const name = new Layout("").manifest("bad-manifest", "dataset", "t");
    await (raw.getBlockBlobClient(name) as BlockBlobClient).upload("not json", 8);
    await expect(table.load()).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    await expect(table.append({ a: 1 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
  });
});
