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
