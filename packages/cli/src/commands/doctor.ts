import type { Command } from "commander";
import type { ExecutionBackend, Job, StorageBackend } from "@themis/core";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_FAILED, EXIT_OK } from "../exit-codes.js";

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

const TIMEOUT_MS = 30_000;

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^\[themis\] /, "");
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
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

async function checkExecution(executor: ExecutionBackend): Promise<string> {
  const job = trivialJob(executor);
  const result = await executor.run(job, { signal: AbortSignal.timeout(TIMEOUT_MS), attempt: 1, index: 0 });
  if (!result.ok) throw new Error(`a trivial ${job.kind} job failed: ${result.error.message}`);
  return `ran a trivial ${job.kind} job`;
}

async function runChecks(ctx: CommandContext): Promise<Check[]> {
  const checks: Check[] = [];
  let config;
  try {
    config = await ctx.config();
  } catch (error) {
    return [{ check: "config", ok: false, detail: message(error) }];
  }
  if (!config) {
    checks.push({ check: "config", ok: false, detail: `no themis config found from ${ctx.cwd} up to the project root (create one: themis backends create local/csv -o themis.config.yaml, then put it under "storage:")` });
  } else {
    checks.push({ check: "config", ok: true, detail: config.file ?? "(in code)" });
  }
  const broken = (await ctx.registry().then((r) => r.list({ load: true }))).filter((b) => b.status === "broken");
  for (const b of broken) checks.push({ check: "backends", ok: false, backend: b.name, detail: `installed but broken (themis backends list): ${b.diagnostics[0]?.message.replace(/^\[themis\] /, "") ?? "?"}` });
  if (config?.storage) {
    const name = config.storage.definition.name;
    try {
      const { value, ms } = await timed(async () => checkStorage((await ctx.openStorage(undefined)).backend));
      checks.push({ check: "storage", ok: true, backend: name, detail: value, ms });
    } catch (error) {
      checks.push({ check: "storage", ok: false, backend: name, detail: message(error) });
    }
  }
  const execName = config?.execution?.definition.name ?? "local";
  try {
    const { value, ms } = await timed(async () => checkExecution((await ctx.openExecution(undefined)).backend));
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
    .action(
      action(async (ctx) => {
        const checks = await runChecks(ctx);
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
