// A segment upload that lands while its answer is lost: the SDK resends it, Azure answers
// 409 (the blob exists), and the writer must recognise its own segment by its writeId:
// acknowledged once, neither refused as a duplicate nor stored twice.
import { Project } from "@themis/core";
import { describe, expect, it } from "vitest";
// The same HTTP proxy the s3 tests use (it knows nothing of S3).
import { LossyProxy } from "../../backend-s3/test/support/lossy-proxy.js";
import { createAzureBlobStorage } from "../src/index.js";
import { azureService, useFreshContainer } from "./support/env.js";

const connectionString = azureService();
let container = "";
const { track } = useFreshContainer(connectionString, "lost", (c) => {
  container = c;
});
const endpoint = /BlobEndpoint=([^;]+)/.exec(connectionString ?? "")?.[1];

describe.skipIf(!connectionString || !endpoint)("a lost answer", () => {
  it("to a segment upload is acknowledged once: the row is stored once and the write resolves", async () => {
    const upstream = new URL(endpoint!);
    const proxy = await LossyProxy.start(upstream.origin, (req) => req.method === "PUT" && /\/\d{16}\.jsonl/.test(req.url ?? ""));
    try {
      const viaProxy = connectionString!.replace(/BlobEndpoint=[^;]+/, `BlobEndpoint=${proxy.endpoint}${upstream.pathname}`);
      const storage = track(createAzureBlobStorage({ container, connectionString: viaProxy, maxTries: 3 }));
      const project = await Project.create("lost", storage);
      const table = await project.createDataset("t");
      await table.appendMany([{ _row_id: "a" }, { _row_id: "b" }]);
      expect(proxy.dropped).toHaveLength(1);
      await table.append({ _row_id: "c" });
      const fresh = await (await Project.open("lost", track(createAzureBlobStorage({ container, connectionString })))).getDataset("t");
      expect((await fresh.load()).map((r) => r._row_id)).toEqual(["a", "b", "c"]);
    } finally {
      await proxy.stop();
    }
  });
});
