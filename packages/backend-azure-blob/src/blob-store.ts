import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions, StorageSharedKeyCredential } from "@azure/storage-blob";
import { InvalidConfigError, NotFoundError } from "@themis/core";
import { isConditionFailed, isMissingBlob, toThemisError } from "./azure-errors.js";
import { type AzureConfig, BACKEND_NAME, CONNECTION_STRING_ENV } from "./config.js";
import { IdleDeadline } from "./deadline.js";

/** The blob calls the backend makes, with SDK errors mapped to Themis errors. */
export class BlobStore {
  readonly container: string;
  readonly client: ContainerClient;
  readonly #timeoutMs: number;

  constructor(config: AzureConfig, env: NodeJS.ProcessEnv = process.env) {
    this.container = config.container;
    this.#timeoutMs = config.requestTimeoutMs;
    this.client = serviceClient(config, env).getContainerClient(config.container);
  }

  /**
   * One SDK call under an idle deadline, its errors mapped; an error `expected` says is an
   * answer (not there, already there) resolves to `fallback` instead.
   */
  async #call<T>(action: string, fn: (deadline: IdleDeadline) => Promise<T>, expected?: (error: unknown) => boolean, fallback?: T): Promise<T> {
    const deadline = new IdleDeadline(this.#timeoutMs);
    try {
      return await fn(deadline);
    } catch (error) {
      if (expected?.(error)) return fallback as T;
      throw toThemisError(error, this.container, action);
    } finally {
      deadline.done();
    }
  }

  /** The blob's text, or undefined when it does not exist. */
  getText(name: string): Promise<string | undefined> {
    return this.#call(
      `read "${name}"`,
      async (deadline) => {
        // One GET (downloadToBuffer would ask for the properties first).
        const response = await this.client.getBlobClient(name).download(0, undefined, { abortSignal: deadline.signal });
        const chunks: Buffer[] = [];
        for await (const chunk of response.readableStreamBody!) {
          chunks.push(chunk as Buffer);
          deadline.touch();
        }
        return Buffer.concat(chunks).toString("utf8");
      },
      isMissingBlob,
      undefined,
    );
  }

  /** Create the blob with If-None-Match: *; false when it exists already. */
  create(name: string, text: string): Promise<boolean> {
    const body = Buffer.from(text, "utf8");
    const conditions = { ifNoneMatch: "*" };
    const upload = (d: IdleDeadline) => this.client.getBlockBlobClient(name).upload(body, body.length, { conditions, abortSignal: d.signal });
    return this.#call(
      `write "${name}"`,
      async (d) => {
        await upload(d);
        return true;
      },
      isConditionFailed,
      false,
    );
  }

  /** Whether the blob exists. */
  exists(name: string): Promise<boolean> {
    return this.#call(
      `read "${name}"`,
      async (d) => {
        await this.client.getBlobClient(name).getProperties({ abortSignal: d.signal });
        return true;
      },
      isMissingBlob,
      false,
    );
  }

  /** Delete the blob; false when it did not exist. */
  delete(name: string): Promise<boolean> {
    return this.#call(
      `delete "${name}"`,
      async (d) => {
        await this.client.getBlobClient(name).delete({ abortSignal: d.signal });
        return true;
      },
      isMissingBlob,
      false,
    );
  }

  /** Names and sizes of the blobs under `prefix`, in name order, page by page. */
  async *list(prefix: string): AsyncGenerator<{ name: string; size: number }> {
    const deadline = new IdleDeadline(this.#timeoutMs);
    try {
      for await (const page of this.client.listBlobsFlat({ prefix, abortSignal: deadline.signal }).byPage({ maxPageSize: 5000 })) {
        deadline.done(); // the consumer's time between pages is not the server's
        for (const item of page.segment.blobItems) yield { name: item.name, size: item.properties.contentLength ?? 0 };
        deadline.touch();
      }
    } catch (error) {
      throw toThemisError(error, this.container, `list "${prefix}"`);
    } finally {
      deadline.done();
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
    if (!(await this.#call("open the container", (d) => this.client.exists({ abortSignal: d.signal })))) {
      throw new NotFoundError(
        `container "${this.container}" does not exist: create it (az storage container create -n ${this.container}) or fix the "container" option`,
        { backend: BACKEND_NAME },
      );
    }
  }
}

function serviceClient(config: AzureConfig, env: NodeJS.ProcessEnv): BlobServiceClient {
  const options: StoragePipelineOptions = {
    retryOptions: { maxTries: config.maxTries, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
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
  } catch {
    // The SDK's message may quote the string; ours never does.
    throw new InvalidConfigError(
      `${BACKEND_NAME}: the connection string is not valid (it needs AccountName and AccountKey, or BlobEndpoint and SharedAccessSignature)`,
      [{ path: "connectionString", message: "invalid" }],
      {
        backend: BACKEND_NAME,
        cause: new Error("connection string rejected by @azure/storage-blob"),
      },
    );
  }
}
