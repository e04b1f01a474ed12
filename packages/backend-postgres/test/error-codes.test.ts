// Core's one meaning per error code, held against a real server: a user PostgreSQL refuses
// (or one without the privilege to create the backend's schema) is INVALID_CONFIG, as a
// rejected credential is on every backend; nothing listening is UNAVAILABLE (config.test.ts).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackend, postgresAvailable, rawClient, uniqueSchema } from "./support/env.js";

describe.skipIf(!postgresAvailable)("credentials and privileges PostgreSQL refuses", () => {
  const role = `themis_noprivs_${randomBytes(4).toString("hex")}`;
  beforeAll(async () => {
    const raw = await rawClient();
    try {
      await raw.query(`CREATE ROLE "${role}" LOGIN`);
    } finally {
      await raw.end();
    }
  });
  afterAll(async () => {
    const raw = await rawClient();
    try {
      await raw.query(`DROP ROLE IF EXISTS "${role}"`);
    } finally {
      await raw.end();
    }
  });

  it("a user without the privilege to create the schema: INVALID_CONFIG naming the field, not retryable", async () => {
    const error = await createBackend({ user: role, schema: uniqueSchema("noprivs") }).then(
      () => new Error("expected PostgreSQL to refuse"),
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", retryable: false, backend: "postgres", issues: [{ path: "password" }] });
    expect((error as { cause?: { code?: string } }).cause?.code).toBe("42501");
  });
});
