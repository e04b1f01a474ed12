import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions, StorageSharedKeyCredential } from "@azure/storage-blob";
import { InvalidConfigError, NotFoundError } from "@themis/core";
import { isConditionFailed, isMissingBlob, toThemisError } from "./azure-errors.js";
import { type AzureConfig, BACKEND_NAME, CONNECTION_STRING_ENV } from "./config.js";

/** The blob calls the backend makes, with SDK errors mapped to Themis errors. */
export class BlobStore {
  readonly container: string;
  readonly client: ContainerClient;

  constructor(config: AzureConfig, env: NodeJS.ProcessEnv = process.env) {
    this.container = config.container;
    this.client = serviceClient(config, env).getContainerClient(config.container);
  }

  /** The blob's text, or undefined when it does not exist. */
  async getText(name: string): Promise<string | undefined> {
    try {
      // One GET (downloadToBuffer would ask for the properties first).
      const response = await this.client.getBlobClient(name).download(0);
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody!) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    } catch (error) {
      if (isMissingBlob(error)) return undefined;
      throw toThemisError(error, this.container, `read "${name}"`);
    }
  }

  /** Create the blob with If-None-Match: *; false when it exists already. */
  async create(name: string, text: string): Promise<boolean> {
    const body = Buffer.from(text, "utf8");
    try {
      await this.client.getBlockBlobClient(name).upload(body, body.length, { conditions: { ifNoneMatch: "*" } });
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw toThemisError(error, this.container, `write "${name}"`);
    }
  }

  /** Whether the blob exists. */
  async exists(name: string): Promise<boolean> {
    try {
      await this.client.getBlobClient(name).getProperties();
      return true;
    } catch (error) {
      if (isMissingBlob(error)) return false;
      throw toThemisError(error, this.container, `read "${name}"`);
    }
  }

  /** Delete the blob; false when it did not exist. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.client.getBlobClient(name).delete();
      return true;
    } catch (error) {
      if (isMissingBlob(error)) return false;
      throw toThemisError(error, this.container, `delete "${name}"`);
    }
  }

  /** Names and sizes of the blobs under `prefix`, in name order, page by page. */
  async *list(prefix: string): AsyncGenerator<{ name: string; size: number }> {
    try {
      for await (const page of this.client.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 })) {
        for (const item of page.segment.blobItems) yield { name: item.name, size: item.properties.contentLength ?? 0 };
      }
    } catch (error) {
      throw toThemisError(error, this.container, `list "${prefix}"`);
    }
  }

  /** Delete every blob under `prefix`, `concurrency` at a time. */
  async deleteAll(prefix: string, concurrency: number): Promise<void> {
    let batch: Promise<boolean>[] = [];
    for await (const { name } of this.list(prefix)) {
      batch.push(this.delete(name));
      if (batch.length >= concurrency) {
        await Promise.all(batch);
        batch = [];
      }
    }
    await Promise.all(batch);
  }

  /** Fails with NotFoundError when the container is missing (a clearer first error than a 404 later). */
  async checkContainer(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.client.exists();
    } catch (error) {
      throw toThemisError(error, this.container, "open the container");
    }
    if (!exists) {
      throw new NotFoundError(`container "${this.container}" does not exist: create it (az storage container create -n ${this.container}) or fix the "container" option`, { backend: BACKEND_NAME });
    }
  }
}

function serviceClient(config: AzureConfig, env: NodeJS.ProcessEnv): BlobServiceClient {
  const options: StoragePipelineOptions = {
    retryOptions: { maxTries: config.maxTries, tryTimeoutInMs: config.requestTimeoutMs, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
  };
  const endpoint = config.endpoint ?? (config.accountName ? `https://${config.accountName}.blob.core.windows.net` : undefined);
  if (config.accountKey !== undefined) {
    return new BlobServiceClient(endpoint!, new StorageSharedKeyCredential(config.accountName!, config.accountKey), options);
  }
  if (config.sasToken !== undefined) {
    const sas = config.sasToken.replace(/^\?/, "");
    return new BlobServiceClient(`${endpoint!.replace(/\/+$/, "")}?${sas}`, undefined, options);
  }
  const connectionString = config.connectionString ?? env[CONNECTION_STRING_ENV];
  if (connectionString === undefined || connectionString === "") {
    throw new InvalidConfigError(
      `${BACKEND_NAME}: no credentials: set "connectionString", "accountName" + "accountKey", "sasToken", or $${CONNECTION_STRING_ENV}`,
      [{ path: "connectionString", message: "missing" }],
      { backend: BACKEND_NAME },
    );
  }
  try {
    return BlobServiceClient.fromConnectionString(connectionString, options);
  } catch (cause) {
    // The SDK's message may quote the string; ours never does.
    throw new InvalidConfigError(`${BACKEND_NAME}: the connection string is not valid (it needs AccountName and AccountKey, or BlobEndpoint and SharedAccessSignature)`, [{ path: "connectionString", message: "invalid" }], {
      backend: BACKEND_NAME,
      cause: new Error("connection string rejected by @azure/storage-blob"),
    });
  }
}
