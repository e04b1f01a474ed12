/**
 * The program that runs a module job on a compute node (`node runner.mjs <jobDir>`). Plain
 * JavaScript kept as text: it is written into each job's folder, where neither this package
 * nor TypeScript need exist, and needs Node >= 18 and nothing else.
 *
 * It reads `<jobDir>/job.json` ({ url, exportName, input, attempt, index }), imports the
 * module, calls the export with `(input, { signal, attempt, index })` and writes
 * `<jobDir>/result.json`: `{ ok: true, value }` or `{ ok: false, error }` with the error
 * serialized as core's JobError. SIGTERM (scancel, or SLURM's time limit, both send it
 * before SIGKILL) aborts `signal`, so the export can clean up. It exits once the result
 * is written, even if the module left timers or sockets open.
 */
export const MODULE_RUNNER_SOURCE = String.raw`// Themis module runner (@themis/backend-slurm): one module export, JSON in, JSON out.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const job = JSON.parse(readFileSync(join(dir, "job.json"), "utf8"));

const controller = new AbortController();
process.once("SIGTERM", () => {
  const reason = new Error("job was stopped (SIGTERM from SLURM)");
  reason.name = "AbortError";
  reason.code = "ERR_THEMIS_ABORTED";
  controller.abort(reason);
});

function toJobError(error, depth = 0) {
  if (typeof error === "object" && error !== null) {
    const out = {
      name: typeof error.name === "string" && error.name ? error.name : "Error",
      message: typeof error.message === "string" ? error.message : String(error),
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

async function load(spec) {
  if (spec.startsWith("file:")) return import(spec);
  if (spec.startsWith("/")) return import(pathToFileURL(spec).href);
  // A package specifier the submitting machine could not resolve: resolved from the job's cwd.
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
// Written aside and renamed: a reader on a shared file system never sees half a result.
writeFileSync(join(dir, "result.json.tmp"), text);
renameSync(join(dir, "result.json.tmp"), join(dir, "result.json"));
process.exit(0);
`;
