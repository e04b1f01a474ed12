// Config validation and credential errors: typed, naming the field, never holding a secret.
import { inspect } from "node:util";
import { Project, parseBackendConfig, redactConfig } from "@themis/core";
import { describe, expect, it, vi } from "vitest";
import azureBlobBackend, { configFromUri, createAzureBlobStorage } from "../src/index.js";
import { DEV_ACCOUNT, devConnectionString } from "./support/azurite.js";
import { azureService, useFreshContainer } from "./support/env.js";

const connectionString = azureService();
let container = "";
const { track } = useFreshContainer(connectionString, "cfg", (c) => {
  container = c;
});
/** The service's endpoint, from its connection string. */
const endpoint = () => /BlobEndpoint=([^;]+)/.exec(connectionString ?? "")?.[1] ?? "";

const rejection = async (work: () => Promise<unknown>): Promise<Error & { code: string; issues?: { path: string }[] }> => {
  try {
    await work();
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error("expected a rejection");
};
const expectNoSecret = (error: unknown, secret: string) => {
  expect(String((error as Error).message)).not.toContain(secret);
  expect(inspect(error, { depth: 8 })).not.toContain(secret);
};

describe("config validation", () => {
  it("names the field of a bad container, a typo and conflicting credentials", () => {
    expect(() => parseBackendConfig(azureBlobBackend, { container: "Bad_Name", connectionString: "x" })).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "container" })] }),
    );
    expect(() => parseBackendConfig(azureBlobBackend, { container: "ok-name", conectionString: "x" })).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }),
    );
    expect(() => parseBackendConfig(azureBlobBackend, { container: "ok-name", connectionString: "x", sasToken: "sv=1" })).toThrow(
      expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ path: "connectionString" })]) }),
    );
    expect(() => parseBackendConfig(azureBlobBackend, { container: "ok-name", accountKey: "k" })).toThrow(
      expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ path: "accountName" })]) }),
    );
  });

  it("marks connectionString, accountKey and sasToken secret", () => {
    const config = parseBackendConfig(azureBlobBackend, { container: "ok-name", accountName: "acct", accountKey: "the-key-1234" });
    expect(JSON.stringify(redactConfig(azureBlobBackend, config))).not.toContain("the-key-1234");
    const cs = parseBackendConfig(azureBlobBackend, { container: "ok-name", connectionString: "AccountName=a;AccountKey=s3cr3t" });
    expect(JSON.stringify(redactConfig(azureBlobBackend, cs))).not.toContain("s3cr3t");
  });

  it("reads azure://container/prefix URIs and refuses secrets in them", () => {
    expect(configFromUri(new URL("azure://evals/team-a/themis?accountName=acct&concurrency=4"))).toEqual({
      container: "evals",
      prefix: "/team-a/themis",
      accountName: "acct",
      concurrency: 4,
    });
    expect(() => configFromUri(new URL("azure://evals?accountKey=abc"))).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "accountKey" })] }),
    );
  });

  it("no credentials anywhere is INVALID_CONFIG naming connectionString and the env var", () => {
    vi.stubEnv("AZURE_STORAGE_CONNECTION_STRING", "");
    try {
      const error = (() => {
        try {
          createAzureBlobStorage({ container: "ok-name" });
        } catch (e) {
          return e as Error & { code: string };
        }
        throw new Error("expected a throw");
      })();
      expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "connectionString" }] });
      expect(error.message).toContain("AZURE_STORAGE_CONNECTION_STRING");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a malformed connection string is INVALID_CONFIG without the string in the error", () => {
    const secret = "AccountName=x;AccountKey-missing-equals-s3cr3t";
    let error: unknown;
    try {
      createAzureBlobStorage({ container: "ok-name", connectionString: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "connectionString" }] });
    expectNoSecret(error, "s3cr3t");
  });
});

describe.skipIf(!connectionString)("credentials and container against the service", () => {
  it("a wrong account key is INVALID_CONFIG on credentials, and the key appears nowhere in the error", async () => {
    const key = Buffer.from("this-key-must-not-leak-1234567890").toString("base64");
    const storage = track(createAzureBlobStorage({ container, accountName: DEV_ACCOUNT, accountKey: key, endpoint: endpoint(), maxTries: 1 }));
    const error = await rejection(() => storage.listProjects());
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", backend: "azure-blob", issues: [{ path: "credentials" }] });
    expectNoSecret(error, key);
  });

  it("a wrong SAS is INVALID_CONFIG, and its signature appears nowhere in the error", async () => {
    const sig = "c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw";
    const sasToken = `sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&st=2020-01-01T00:00:00Z&spr=http,https&sig=${sig}`;
    const storage = track(createAzureBlobStorage({ container, sasToken, endpoint: endpoint(), maxTries: 1 }));
    const error = await rejection(() => storage.listProjects());
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "credentials" }] });
    expectNoSecret(error, sig);
  });

  it("account name + key (the shared key form) works like the connection string", async () => {
    const key = /AccountKey=([^;]+)/.exec(connectionString!)?.[1];
    const account = /AccountName=([^;]+)/.exec(connectionString!)?.[1];
    const storage = track(createAzureBlobStorage({ container, accountName: account, accountKey: key, endpoint: endpoint() }));
    const project = await Project.create("shared-key", storage);
    await (await project.createDataset("d")).append({ a: 1 });
    expect(await storage.listProjects()).toContain("shared-key");
  });

  it("a missing container is NOT_FOUND, naming the container and how to create it", async () => {
    const storage = track(createAzureBlobStorage({ container: "themis-no-such-container", connectionString }));
    const error = await rejection(() => Project.create("p", storage));
    expect(error).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND", backend: "azure-blob" });
    expect(error.message).toContain("themis-no-such-container");
    expect(devConnectionString("x")).toContain("AccountKey"); // the helper the tests rely on
  });
});
