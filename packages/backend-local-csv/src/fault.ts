/**
 * Fault injection for the crash tests: `THEMIS_LOCAL_CSV_FAULT=<point>:<ms>` blocks this
 * process (event loop included, as a busy or stopped process would be) for `<ms>` at a
 * named point of the lock protocol, so a test can kill it or race it exactly there.
 * Unset (always, outside the tests) it costs one comparison.
 */
const FAULT = process.env.THEMIS_LOCAL_CSV_FAULT;

export function faultDelay(point: "takeover" | "taken" | "after-write"): void {
  if (FAULT === undefined) return;
  const [name, ms] = FAULT.split(":");
  if (name !== point) return;
  process.stdout.write(`fault:${point}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms));
}
