import { describe, expect, it } from "vitest";
import { type ExecutionContext, runOne, sh } from "./context.js";

/** Command jobs: env, cwd, stdin, no shell unless asked, a clean environment on request, exit codes, bounded output. */
export function commandTests(ctx: ExecutionContext): void {
  if (!ctx.has("command")) return;
  describe("command jobs", () => {
    it(
      "passes env, cwd and stdin; no shell unless asked",
      async () => {
        const env = await runOne(ctx, { kind: "command", argv: ["sh", "-c", 'printf %s "$THEMIS_SUITE_VAR"'], env: { THEMIS_SUITE_VAR: "v a l" } });
        expect(env.ok && env.value).toBe("v a l");
        const dir = await runOne(ctx, { kind: "command", argv: ["pwd"], cwd: ctx.cwd() });
        expect(dir.ok && (dir.value as string).trim()).toBe(ctx.cwd());
        const input = await runOne(ctx, { kind: "command", argv: ["cat"], stdin: "line 1\nline 2\n" });
        expect(input.ok && input.value).toBe("line 1\nline 2\n");
        const literal = await runOne(ctx, { kind: "command", argv: ["echo", "$HOME", "; echo injected"] });
        expect(literal.ok && literal.value).toBe("$HOME ; echo injected\n");
        const shell = await runOne(ctx, { kind: "command", argv: ['echo "$1" | tr a-z A-Z', "a b"], shell: true });
        expect(shell.ok && shell.value).toBe("A B\n");
      },
      ctx.testTimeout,
    );

    it(
      "inheritEnv: false starts from an empty environment: the parent's variables do not leak",
      async () => {
        // A canary in this process' environment: an executor that passes it on leaks secrets too.
        const previous = process.env.THEMIS_SUITE_PARENT;
        process.env.THEMIS_SUITE_PARENT = "leaked";
        try {
          const script = 'printf %s "${THEMIS_SUITE_ONLY:-}|${THEMIS_SUITE_PARENT:-unset}"';
          const clean = await runOne(ctx, { kind: "command", argv: ["/bin/sh", "-c", script], env: { THEMIS_SUITE_ONLY: "1" }, inheritEnv: false });
          expect(clean.ok && clean.value).toBe("1|unset");
          if (ctx.hostProcesses) {
            // Control: the same job inheriting the environment sees the canary, so the check above can fail.
            const inherited = await runOne(ctx, { kind: "command", argv: ["/bin/sh", "-c", script], env: { THEMIS_SUITE_ONLY: "1" } });
            expect(inherited.ok && inherited.value).toBe("1|leaked");
          }
        } finally {
          if (previous === undefined) delete process.env.THEMIS_SUITE_PARENT;
          else process.env.THEMIS_SUITE_PARENT = previous;
        }
      },
      ctx.testTimeout,
    );

    it(
      "reports exit codes; okExitCodes and output: json",
      async () => {
        const three = await runOne(ctx, sh("exit 3"));
        expect(three.ok).toBe(false);
        expect(three.exitCode).toBe(3);
        if (!three.ok) expect(three.error.code).toBe("ERR_THEMIS_JOB_FAILED");
        const allowed = await runOne(ctx, { kind: "command", argv: ["sh", "-c", "echo fine; exit 3"], okExitCodes: [0, 3] });
        expect(allowed.ok && allowed.value).toBe("fine\n");
        expect(allowed.exitCode).toBe(3);
        const json = await runOne(ctx, { kind: "command", argv: ["echo", '{"a": [1, "1", null]}'], output: "json" });
        expect(json.ok && json.value).toEqual({ a: [1, "1", null] });
        const notJson = await runOne(ctx, { kind: "command", argv: ["echo", "not json"], output: "json" });
        expect(notJson.ok).toBe(false);
        const missing = await runOne(ctx, { kind: "command", argv: ["themis-no-such-program-xyz"] });
        expect(missing.ok).toBe(false);
      },
      ctx.testTimeout,
    );

    it(
      "keeps large outputs bounded and marked truncated, without failing",
      async () => {
        const bytes = 4 * 1024 * 1024;
        const out = await runOne(ctx, {
          kind: "command",
          argv: ["sh", "-c", `yes abcdefgh | head -c ${bytes}; yes ijklmnop | head -c ${bytes} >&2`],
          maxOutputBytes: 64 * 1024,
        });
        expect(out.ok).toBe(true);
        expect(out.stdout?.truncated).toBe(true);
        expect(out.stdout?.bytes).toBe(bytes);
        expect(Buffer.byteLength(out.stdout!.text)).toBe(64 * 1024);
        expect(out.stderr?.truncated).toBe(true);
        expect(out.stderr?.bytes).toBe(bytes);
        const small = await runOne(ctx, { kind: "command", argv: ["echo", "hi"] });
        expect(small.stdout).toEqual({ text: "hi\n", bytes: 3, truncated: false });
      },
      ctx.testTimeout,
    );
  });
}
