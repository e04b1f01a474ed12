import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ExecutionBackend, Job, JobKind, RunContext } from "@themis/core";
import { type ExecutionContext, expectNoOrphans } from "./context.js";

const CLOSED = "ERR_THEMIS_CLOSED";

/** The error code of a run that rejected or resolved to a failure; "ok" when it succeeded. */
async function outcomeCode(run: Promise<{ ok: boolean; error?: { code?: string } }>): Promise<string | undefined> {
  return run.then(
    (r) => (r.ok ? "ok" : r.error?.code),
    (e: { code?: string }) => e.code,
  );
}

/** Poll (no fixed sleep) until `file` has content, or `ms` pass. */
async function waitForFile(file: string, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.trim() !== "") return text;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/** close(): idempotent, stops what still runs, and later runs fail with ERR_THEMIS_CLOSED. */
export function closeTests(ctx: ExecutionContext): void {
  const context = (): RunContext => ({ signal: new AbortController().signal, attempt: 1, index: 0 });
  /** A job of `kind` that runs for a minute unless stopped. */
  const longJob = (kind: JobKind, pidFile?: string): Job => {
    switch (kind) {
      case "function":
        return {
          kind: "function",
          fn: (_: unknown, { signal }) => new Promise((_r, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
          input: null,
        };
      case "module":
        return { kind: "module", module: (ctx.mod("sleepLong") as { module: string }).module, export: "sleepLong" };
      case "command":
        return pidFile
          ? { kind: "command", argv: ["sh", "-c", 'echo $$ > "$1"; sleep 60', "themis", pidFile] }
          : { kind: "command", argv: ["sh", "-c", "sleep 60"] };
    }
  };

  describe("close", () => {
    it(
      "is idempotent: closing twice (and at once) resolves",
      async () => {
        const executor = await ctx.options.create();
        await Promise.all([executor.close(), executor.close()]);
        await expect(executor.close()).resolves.toBeUndefined();
      },
      ctx.testTimeout,
    );

    it(
      "refuses jobs after close with ERR_THEMIS_CLOSED",
      async () => {
        const executor = await ctx.options.create();
        await executor.close();
        for (const kind of ctx.options.kinds) expect(await outcomeCode(executor.run(longJob(kind), context())), kind).toBe(CLOSED);
      },
      ctx.testTimeout,
    );

    for (const kind of ctx.options.kinds) {
      it(
        `stops ${kind} jobs still running: they end (not ok) and leave nothing behind`,
        async () => {
          const executor: ExecutionBackend = await ctx.options.create();
          const dir = kind === "command" && ctx.hostProcesses ? await mkdtemp(path.join(tmpdir(), "themis-close-")) : undefined;
          const pidFile = dir && path.join(dir, "pid");
          try {
            const run = outcomeCode(executor.run(longJob(kind, pidFile), context()));
            // Where the job's start can be seen, close only once it runs; elsewhere close at
            // once: either way the job must end without its minute.
            const pid = pidFile ? Number(await waitForFile(pidFile, ctx.testTimeout / 2)) : undefined;
            await executor.close();
            expect(await run).not.toBe("ok");
            if (pid !== undefined) expect(pid).toBeGreaterThan(0);
            if (kind === "command") await expectNoOrphans(ctx, pid === undefined ? undefined : String(pid), pid === undefined ? undefined : 1);
          } finally {
            await executor.close();
            if (dir) await rm(dir, { recursive: true, force: true });
          }
        },
        ctx.testTimeout,
      );
    }
  });
}
