import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startBoxServer } from "./box-server/server.ts";

/** Where the tests find the Box API: provided to test files with `inject("box")`. */
export interface BoxEndpoint {
  baseUrl: string;
  uploadUrl: string;
  oauth2Url: string;
  /** A developer token the server accepts. */
  token: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    box: BoxEndpoint;
  }
}

/**
 * Starts the stand-in Box server on a free loopback port for the whole run, unless
 * THEMIS_BOX_URL points at one already running (test/box-server/main.ts; its developer
 * token in THEMIS_BOX_TOKEN).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.THEMIS_BOX_URL;
  if (external) {
    const base = external.replace(/\/+$/, "");
    project.provide("box", { baseUrl: base, uploadUrl: `${base}/api`, oauth2Url: `${base}/oauth2`, token: process.env.THEMIS_BOX_TOKEN ?? "themis-dev-token" });
    return async () => undefined;
  }
  const token = `devtok-${randomBytes(16).toString("hex")}`;
  const server = await startBoxServer({ tokens: [token] });
  project.provide("box", { baseUrl: server.baseUrl, uploadUrl: server.uploadUrl, oauth2Url: server.oauth2Url, token });
  return () => server.close();
}
