import { describe, expect, it } from "vitest";
import { makeApp, themis } from "./helpers.js";

// Canaries: if any of these strings shows up in any output, a secret leaked.
const ENV_CANARY = "canary-env-7c9e1f04b2";
const FILE_CANARY = "canary-file-3a5d8e61c0";
const URI_CANARY = "canary-uri-91b2c3d4e5";

const CONFIG = `project: demo
storage:
  type: acme/vault
  password: \${env:VAULT_PASSWORD}
execution:
  type: acme/runner
  image: busybox
  token: ${FILE_CANARY}
`;

function expectNoCanary(output: { stdout: string; stderr: string }): void {
  for (const canary of [ENV_CANARY, FILE_CANARY, URI_CANARY]) {
    expect(output.stdout).not.toContain(canary);
    expect(output.stderr).not.toContain(canary);
  }
}

describe.concurrent("secrets are never printed", () => {
  const app = makeApp(["acme-runner", "acme-vault"], {
    "themis.config.yaml": CONFIG,
    "unreachable.yaml": `type: acme/vault\nhost: unreachable\npassword: ${FILE_CANARY}\n`,
    "uri.yaml": `type: vault://admin:${URI_CANARY}@unreachable\n`,
    "invalid.yaml": `type: acme/vault\npassword: ${FILE_CANARY}\npoolSize: 0\nhost: 5\n`,
    "broken-runner.yaml": `type: acme/runner\nimage: broken\ntoken: ${FILE_CANARY}\n`,
  });
  const env = { VAULT_PASSWORD: ENV_CANARY };

  it.each([
    ["config", ["config"]],
    ["config --json", ["config", "--json"]],
    ["validate the themis config", ["backends", "validate", "themis.config.yaml"]],
    ["validate the themis config, JSON", ["backends", "validate", "themis.config.yaml", "--json"]],
    ["validate a backend file with a literal secret", ["backends", "validate", "unreachable.yaml"]],
    ["validate a URI with a password", ["backends", "validate", "uri.yaml", "--json"]],
    ["an invalid file holding a secret", ["backends", "validate", "invalid.yaml"]],
    ["an invalid file holding a secret, JSON", ["backends", "validate", "invalid.yaml", "--json"]],
    ["doctor", ["doctor"]],
    ["doctor --json", ["doctor", "--json"]],
    ["a client error quoting the password", ["projects", "ls", "--storage", "unreachable.yaml"]],
    ["a client error quoting a URI password, JSON", ["projects", "ls", "--storage", "uri.yaml", "--json"]],
    ["a password given with --option", ["projects", "ls", "--storage", "unreachable.yaml", "--option", `password=${URI_CANARY}`]],
    ["an executor error quoting its token", ["doctor", "--config", "themis.config.yaml", "--json"]],
  ])("%s", async (_what, args) => {
    const result = await themis(app, args, env);
    expectNoCanary(result);
    expect(result.stdout.length + result.stderr.length).toBeGreaterThan(0);
  });

  it("the doctor reports an unreachable backend without its password", async () => {
    const broken = makeApp(["acme-runner", "acme-vault"], {
      "themis.config.yaml": `storage:\n  type: acme/vault\n  host: unreachable\n  password: \${env:VAULT_PASSWORD}\nexecution:\n  type: acme/runner\n  image: broken\n  token: ${FILE_CANARY}\n`,
    });
    const result = await themis(broken, ["doctor"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ storage acme\/vault: .*ECONNREFUSED/);
    expect(result.stdout).toMatch(/✗ execution acme\/runner: .*cannot pull image/);
    expectNoCanary(result);
  });
});
