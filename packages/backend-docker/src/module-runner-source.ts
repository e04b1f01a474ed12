/**
 * The program that runs a module job inside the container (`node /.themis/runner.mjs`).
 * It is plain JavaScript kept as text: it is copied into containers, where neither this
 * package nor TypeScript exist, and needs Node >= 18 and nothing else.
 *
 * It reads `job.json` beside itself ({ url, exportName, input, attempt, index }), imports
 * the module, calls the export with `(input, { signal, attempt, index })`, and writes
 * `result.json` beside itself: `{ ok: true, value }` or `{ ok: false, error }` with the error
 * serialized as core's JobError (name, message, code, retryable, stack, cause). SIGTERM
 * (the container being stopped) aborts `signal`, so the export can clean up during the
 * grace period. It exits as soon as the result is written, even if the module left timers
 * or sockets open.
 */
export const MODULE_RUNNER_SOURCE = String.raw`// Themis module runner: calls one module export with JSON input, writes JSON output.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const job = JSON.parse(readFileSync(join(here, "job.json"), "utf8"));

const controller = new AbortController();
process.once("SIGTERM", () => {
  const reason = new Error("job was stopped (SIGTERM)");
  reason.name = "AbortError";
  reason.code = "ERR_THEMIS_ABORTED";
  controller.abort(reason);
});

function toJobError(error, depth = 0) {
  if (typeof error === "object" && error !== null) {
    const out = {
      name: typeof error.name === "string" && error.name ? error.name : "Error",
      message: typeof error.message === "string" ? error.message : safeString(error),
      retryable: error.retryable === true,
    };
    if (typeof error.code === "string") out.code = error.code;
    else if (typeof error.code === "number") out.code = String(error.code);
    if (typeof error.stack === "string") out.stack = error.stack;
    if (error.cause !== undefined && depth < 5) out.cause = toJobError(error.cause, depth + 1);
    return out;
  }
  return { name: "NonError", message: String(error), retryable: false };
}

function safeString(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

async function load(spec) {
  if (spec.startsWith("file:")) return import(spec);
  if (spec.startsWith("/")) return import(pathToFileURL(spec).href);
  // A package specifier: resolved from the working directory, as "node -e" would.
  const require = createRequire(join(process.cwd(), "noop.js"));
  return import(pathToFileURL(require.resolve(spec)).href);
}

let result;
try {
  const mod = await load(job.url);
  const fn = mod[job.exportName];
  if (typeof fn !== "function") {
    const found = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    const error = new TypeError("export \"" + job.exportName + "\" of " + job.url + " is not a function (functions exported: " + (found.join(", ") || "none") + ")");
    error.code = "ERR_THEMIS_INVALID_EXPORT";
    throw error;
  }
  const value = await fn(job.input, { signal: controller.signal, attempt: job.attempt, index: job.index });
  result = { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
} catch (error) {
  result = { ok: false, error: toJobError(error) };
}
let text;
try {
  text = JSON.stringify(result);
} catch (error) {
  text = JSON.stringify({ ok: false, error: toJobError(error) });
}
writeFileSync(join(here, "result.json"), text);
process.exit(0);
`;
