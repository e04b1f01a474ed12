// Starts one single-node Ceph radosgw for the whole test run (S3_ENDPOINT with
// S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY point at an existing server instead) and tells
// the test files where it is through vitest's provide/inject. Every project whose global
// setup asks for it (this one, serve's, the pipeline example's) shares one server.
import { shareService } from "@themis/conformance";
import type { TestProject } from "vitest/node";
import { Radosgw, type S3ServerInfo, radosgwMissing } from "./support/radosgw.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The server, or null when there is none. */
    s3Server: S3ServerInfo | null;
    /** Why there is no server, when there is none. */
    s3Missing: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const endpoint = process.env.S3_ENDPOINT;
  if (endpoint) {
    project.provide("s3Server", {
      endpoint,
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "",
      otherAccessKeyId: process.env.S3_OTHER_ACCESS_KEY_ID ?? "",
      otherSecretAccessKey: process.env.S3_OTHER_SECRET_ACCESS_KEY ?? "",
    });
    project.provide("s3Missing", "");
    return async () => undefined;
  }
  const missing = radosgwMissing();
  if (missing) {
    project.provide("s3Server", null);
    project.provide("s3Missing", `${missing}, and S3_ENDPOINT is not set`);
    return async () => undefined;
  }
  const lease = await shareService(
    "radosgw",
    () => Radosgw.start(),
    (server) => server.stop(),
  );
  project.provide("s3Server", lease.service.info);
  project.provide("s3Missing", "");
  return () => lease.release();
}
