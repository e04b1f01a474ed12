import { createServer } from "node:net";
/**
 * Decide what to do when a test needs a service (a server, an engine) that is not there:
 * in CI (`CI=true`) that is a failure; elsewhere the tests are skipped, loudly.
 *
 * @returns true when the service is available; false when tests should be skipped.
 * @throws when `CI` is set and the service is missing.
 */
export function requireService(service: string, available: boolean, reason: string): boolean {
  if (available) return true;
  const ci = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";
  const message = `${service} is not available: ${reason}`;
  if (ci) throw new Error(`[themis conformance] ${message}. CI=true: a missing service fails the run.`);
  console.warn(`\n${"!".repeat(78)}\n!! SKIPPING ${service} tests: ${message}\n${"!".repeat(78)}\n`);
  return false;
}

/**
 * A free TCP port on the loopback interface, for a test server: free when asked, so the
 * server binds it right after (and retries with another port if something took it).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
