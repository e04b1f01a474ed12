import type { Command } from "commander";
import { type BackendInfo, type ExecutionBackend, type Job, type StorageBackend, withDeadline } from "@themis/core";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_FAILED, EXIT_OK } from "../exit-codes.js";
import { parseTimeoutMs } from "../parse-int.js";

/** One line of the doctor's report. */
export interface Check {
  check: "config" | "storage" | "execution" | "backends";
  ok: boolean;
  /** The backend checked, when the check is about one. */
  backend?: string;
  detail: string;
  /** Milliseconds the check took. */
  ms?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^\[themis\] /, "");
}

/** `work` under the doctor's deadline: a backend that never answers is a failed check, not a hang. */
async function timed<T>(what: string, timeoutMs: number, work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await withDeadline(work(), timeoutMs, `${what} (themis doctor --timeout)`);
  return { value, ms: Math.round(performance.now() - start) };
}

async function checkStorage(storage: StorageBackend): Promise<string> {
  const projects = await storage.listProjects();
  return `reachable, ${projects.length} project${projects.length === 1 ? "" : "s"}`;
}

/** The cheapest job the executor can run: a function, else `true`, else a one-line module. */
function trivialJob(executor: ExecutionBackend): Job {
  if (executor.kinds.includes("function")) return { kind: "function", fn: () => "ok", input: null };
  if (executor.kinds.includes("command")) return { kind: "command", argv: ["true"] };
  return { kind: "module", module: "data:text/javascript,export default () => 'ok'", input: null };
}

async function checkExecution(executor: ExecutionBackend, timeoutMs: number): Promise<string> {
  const job = trivialJob(executor);
  const result = await executor.run(job, { signal: AbortSignal.timeout(timeoutMs), attempt: 1, index: 0 });
  if (!result.ok) throw new Error(`a trivial ${job.kind} job failed: ${result.error.message}`);
  return `ran a trivial ${job.kind} job`;
}

async function runChecks(ctx: CommandContext, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  let config: Awaited<ReturnType<CommandContext["config"]>>;
  try {
    config = await ctx.config();
  } catch (error) {
    return [{ check: "config", ok: false, detail: message(error) }];
  }
  if (!config) {
    checks.push({
      check: "config",
      ok: false,
      detail: `no themis config found from ${ctx.cwd} up to the project root (create one: themis backends create local/csv -o themis.config.yaml, then put it under "storage:")`,
    });
  } else {
    checks.push({ check: "config", ok: true, detail: config.file ?? "(in code)" });
  }
  let installed: BackendInfo[] = [];
  try {
    installed = (await timed("loading the installed backends", timeoutMs, () => ctx.registry().then((r) => r.list({ load: true })))).value;
  } catch (error) {
    checks.push({ check: "backends", ok: false, detail: message(error) });
  }
  const broken = installed.filter((b) => b.status === "broken");
  for (const b of broken)
    checks.push({
      check: "backends",
      ok: false,
      backend: b.name,
      detail: `installed but broken (themis backends list): ${b.diagnostics[0]?.message.replace(/^\[themis\] /, "") ?? "?"}`,
    });
  if (config?.storage) {
    const name = config.storage.definition.name;
    try {
      const { value, ms } = await timed(`checking storage ${name}`, timeoutMs, async () => checkStorage((await ctx.openStorage(undefined)).backend));
      checks.push({ check: "storage", ok: true, backend: name, detail: value, ms });
    } catch (error) {
      checks.push({ check: "storage", ok: false, backend: name, detail: message(error) });
    }
  }
  const execName = config?.execution?.definition.name ?? "local";
  try {
    const { value, ms } = await timed(`checking execution ${execName}`, timeoutMs, async () =>
      checkExecution((await ctx.openExecution(undefined)).backend, timeoutMs),
    );
    checks.push({ check: "execution", ok: true, backend: execName, detail: `${value}${config?.execution ? "" : " (built-in default)"}`, ms });
  } catch (error) {
    checks.push({ check: "execution", ok: false, backend: execName, detail: message(error) });
  }
  return checks;
}

/** `themis doctor`: load the config and check that each configured backend can be reached. */
export function doctorCommand(program: Command, action: Action): void {
  program
    .command("doctor")
    .description("check the themis config and that each configured backend can be reached (storage: list projects; execution: run a trivial job)")
    .option("-t, --timeout <ms>", `deadline of each check in milliseconds (default ${DEFAULT_TIMEOUT_MS})`, parseTimeoutMs)
    .action(
      action(async (ctx, flags: { timeout?: number }) => {
        const checks = await runChecks(ctx, flags.timeout ?? DEFAULT_TIMEOUT_MS);
        const ok = checks.every((c) => c.ok);
        ctx.out.data({ ok, checks });
        for (const c of checks) {
          const what = c.backend ? `${c.check} ${c.backend}` : c.check;
          ctx.out.line(`${c.ok ? "✓" : "✗"} ${what}: ${c.detail}${c.ms !== undefined ? ` (${c.ms} ms)` : ""}`);
        }
        ctx.out.line(ok ? "all checks passed" : `${checks.filter((c) => !c.ok).length} check(s) failed`);
        return ok ? EXIT_OK : EXIT_FAILED;
      }),
    );
}
