import { afterEach, describe, expect, it } from "vitest";
import { REDACTED, clearConfigCache, loadConfig, printableConfig, redactUrls, resolveConfig } from "../src/index.js";
import { configError, fixtureRegistry, makeProject } from "./config-helpers.js";

afterEach(() => clearConfigCache());

describe("syntax errors never quote the file", () => {
  const secret = "hunter2-0a9f7c";

  it("YAML: the line and column, not the lines around it", async () => {
    const dir = makeProject({ "themis.config.yaml": `storage:\n  type: acme/vault\n  password: ${secret}\n   host: [unclosed\n` });
    const error = await configError(loadConfig({ cwd: dir, registry: fixtureRegistry() }));
    expect(error.issues[0]?.message).toMatch(/YAML syntax error: .*line \d+, column \d+/);
    expect(JSON.stringify({ message: error.message, issues: error.issues })).not.toContain(secret);
  });

  it("JSON: the position, not the text around it", async () => {
    const dir = makeProject({ "themis.config.json": `{ "storage": { "type": "acme/vault", "password": "${secret}" x } }` });
    const error = await configError(loadConfig({ cwd: dir, registry: fixtureRegistry() }));
    expect(error.issues[0]?.message).toMatch(/JSON syntax error/);
    expect(JSON.stringify({ message: error.message, issues: error.issues })).not.toContain(secret);
  });
});

describe("YAML alias bombs", () => {
  it("a billion laughs in 300 bytes is a config error, not a hang", async () => {
    const levels = ["a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]"];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const prev = `*${String.fromCharCode(96 + i)}`;
      levels.push(`${name}: &${name} [${Array(9).fill(prev).join(",")}]`);
    }
    const bomb = `project: p\nstorage:\n  type: memory\nx:\n${levels.map((l) => `  ${l}`).join("\n")}\n`;
    expect(bomb.length).toBeLessThan(500);
    const dir = makeProject({ "themis.config.yaml": bomb });
    const error = await configError(loadConfig({ cwd: dir, registry: fixtureRegistry() }));
    expect(error.issues[0]?.message).toMatch(/aliases are expanded/);
  });

  it("more than 100 aliases is refused; a few are fine", async () => {
    const many = `project: p\nbase: &b { x: 1 }\nlist: [${Array(101).fill("*b").join(",")}]\n`;
    expect((await configError(loadConfig({ cwd: makeProject({ "themis.config.yaml": many }), registry: fixtureRegistry() }))).issues[0]?.message).toMatch(
      /YAML/,
    );
    const few = `project: p\nstorage: &s { type: acme/vault, password: pw-123456 }\n`;
    const config = await loadConfig({ cwd: makeProject({ "themis.config.yaml": few }), registry: fixtureRegistry() });
    expect(config?.storage?.definition.name).toBe("acme/vault");
  });
});

describe("deeply nested configs", () => {
  it("JSON nested 100000 levels is a config error, not a stack overflow", async () => {
    const deep = `{ "project": "p", "x": ${"[".repeat(100_000)}${"]".repeat(100_000)} }`;
    const error = await configError(loadConfig({ cwd: makeProject({ "themis.config.json": deep }), registry: fixtureRegistry() }));
    expect(error.issues[0]?.message).toMatch(/nested deeper than 64 levels/);
  });
});

describe("credentials in URLs are redacted wherever they are", () => {
  it("redactUrls masks user info and credential query parameters, encoded or not", () => {
    expect(redactUrls("ssh://deploy:S3CRET@build.example:22")).toBe(`ssh://deploy:${REDACTED}@build.example:22`);
    expect(redactUrls("https://tok3n@host/x")).toBe(`https://${REDACTED}@host/x`);
    expect(redactUrls("redis://h:6379/0?password=A%5FB&keyPrefix=t")).toBe(`redis://h:6379/0?password=${REDACTED}&keyPrefix=t`);
    expect(redactUrls("s3://b/p?region=x&X-Amz-Signature=abc&sessionToken=zz")).toBe(`s3://b/p?region=x&X-Amz-Signature=${REDACTED}&sessionToken=${REDACTED}`);
    expect(redactUrls("no url here: password=1")).toBe("no url here: password=1");
  });

  it("a non-secret field holding a URL with a password is printed masked", async () => {
    const config = await resolveConfig(
      { storage: { type: "acme/vault", password: "pw-123456", host: "ssh://user:SECRET-f00d@h.example" } },
      { registry: fixtureRegistry() },
    );
    const printed = JSON.stringify(printableConfig(config));
    expect(printed).not.toContain("SECRET-f00d");
    expect(printed).toContain(`ssh://user:${REDACTED}@h.example`);
  });

  it("a percent-encoded query password on the type line is masked", async () => {
    const config = await resolveConfig({ storage: "vault://admin:pw-12345@db.example/?password=A%5FB%5FC" }, { registry: fixtureRegistry() });
    const printed = JSON.stringify(printableConfig(config));
    expect(printed).not.toContain("A%5FB%5FC");
    expect(printed).not.toContain("A_B_C");
  });

  it("a secret from the environment is scrubbed in its URI-encoded form too", async () => {
    const config = await resolveConfig(
      { storage: { type: "acme/vault", password: "${env:PW}", host: "db?note=p%40ss%2Fw0rd" } },
      { registry: fixtureRegistry(), env: { PW: "p@ss/w0rd" } },
    );
    expect(JSON.stringify(printableConfig(config))).not.toContain("p%40ss%2Fw0rd");
  });
});

describe("URIs that cannot be read", () => {
  it("a malformed percent-escape is INVALID_CONFIG, never a raw URIError, and the password is not echoed", async () => {
    const error = (await fixtureRegistry()
      .resolve("vault://admin:pw%ZZ-secret@db", "storage")
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect(error.message).toMatch(/percent-escape/);
    expect(error.message).not.toContain("pw%ZZ-secret");
  });

  it("in a config file's storage URI: a config error listing it", async () => {
    const error = await configError(resolveConfig({ storage: "vault://admin:pw%ZZ-secret@db" }, { registry: fixtureRegistry() }));
    expect(error.message).not.toContain("pw%ZZ-secret");
  });

  it("a URI that does not parse is INVALID_CONFIG", async () => {
    const error = (await fixtureRegistry()
      .resolve("vault://admin:pw-secret@[db", "storage")
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect(error.message).not.toContain("pw-secret");
  });
});
