// Starts one PostgreSQL server for the whole test run (POSTGRES_URL points at an existing
// one instead) and tells the test files where it is through vitest's provide/inject.
import type { TestProject } from "vitest/node";
import { PostgresServer, postgresBinDir } from "./support/postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the shared server, or "" when there is none. */
    postgresUrl: string;
    /** Why there is no server, when there is none. */
    postgresMissing: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.POSTGRES_URL;
  if (external) {
    project.provide("postgresUrl", external);
    project.provide("postgresMissing", "");
    return async () => undefined;
  }
  const bin = postgresBinDir();
  if (!bin) {
    project.provide("postgresUrl", "");
    project.provide("postgresMissing", "PostgreSQL is not installed (apt-get install postgresql) and POSTGRES_URL is not set");
    return async () => undefined;
  }
  const server = await PostgresServer.start(bin);
  project.provide("postgresUrl", server.url);
  project.provide("postgresMissing", "");
  return () => server.stop();
}
