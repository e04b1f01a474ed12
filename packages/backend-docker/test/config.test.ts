// Every config field is honoured or rejected with its path (no engine needed here; the
// engine-side checks are in limits.test.ts).
import { InvalidConfigError, configJsonSchema, parseBackendConfig, pathFields } from "@themis/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_USER, dockerBackend } from "../src/index.ts";

const parse = (raw: Record<string, unknown>) => parseBackendConfig(dockerBackend, raw);

/** The issue paths of the InvalidConfigError `raw` causes. */
function issuePaths(raw: Record<string, unknown>): string[] {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).code).toBe("ERR_THEMIS_INVALID_CONFIG");
    return (error as InvalidConfigError).issues.map((i) => i.path);
  }
  return [];
}

describe("docker config", () => {
  it("has safe defaults: non-root user, no network, containers removed, pull when missing", () => {
    const config = parse({ image: "busybox" });
    expect(config.user).toBe(DEFAULT_USER);
    expect(config.user.startsWith("0")).toBe(false);
    expect(config.network).toBe("none");
    expect(config.removeContainer).toBe(true);
    expect(config.pull).toBe("missing");
    expect(config.volumes).toEqual([]);
    expect(config.env).toEqual({});
  });

  it("needs exactly one of image and dockerfile", () => {
    expect(issuePaths({})).toEqual(["image"]);
    expect(issuePaths({ image: "a", dockerfile: "/tmp/Dockerfile" })).toEqual(["dockerfile"]);
    expect(issuePaths({ image: "a", buildArgs: { A: "1" } })).toEqual(["buildArgs"]);
    expect(issuePaths({ image: "a", buildContext: "/tmp" })).toEqual(["buildContext"]);
    expect(parse({ dockerfile: "/tmp/Dockerfile", buildArgs: { A: "1" } }).buildArgs).toEqual({ A: "1" });
  });

  it("cpu: 1 to 128", () => {
    expect(issuePaths({ image: "a", cpu: 0.5 })).toEqual(["cpu"]);
    expect(issuePaths({ image: "a", cpu: 129 })).toEqual(["cpu"]);
    expect(issuePaths({ image: "a", cpu: "2" })).toEqual(["cpu"]);
    expect(parse({ image: "a", cpu: 1.5 }).cpu).toBe(1.5);
  });

  it('memory: "512m", "2g", bytes; at least 6m', () => {
    for (const ok of ["512m", "2g", "1.5g", "64MB", "7340032"]) expect(issuePaths({ image: "a", memory: ok }), ok).toEqual([]);
    expect(parse({ image: "a", memory: 64 * 1024 * 1024 }).memory).toBe(64 * 1024 * 1024);
    for (const bad of ["lots", "1k", "-5m", "5x", ""]) expect(issuePaths({ image: "a", memory: bad }), bad).toEqual(["memory"]);
  });

  it("user: uid, uid:gid, name, name:group", () => {
    for (const ok of ["1000", "1000:1000", "root", "app:staff", "0"]) expect(issuePaths({ image: "a", user: ok }), ok).toEqual([]);
    for (const bad of ["", "a b", "1000:", ":1000", "x;rm"]) expect(issuePaths({ image: "a", user: bad }), bad).toEqual(["user"]);
  });

  it('volumes: "host:container[:ro|rw]", host absolute (or a volume name), container absolute, no duplicates', () => {
    expect(issuePaths({ image: "a", volumes: ["/data:/data", "/in:/in:ro", "/out:/out:rw", "cache:/cache"] })).toEqual([]);
    expect(issuePaths({ image: "a", volumes: ["/ok:/ok", "./rel:/x"] })).toEqual(["volumes[1]"]);
    expect(issuePaths({ image: "a", volumes: ["/a:b"] })).toEqual(["volumes[0]"]);
    expect(issuePaths({ image: "a", volumes: ["/a:/b:rx"] })).toEqual(["volumes[0]"]);
    expect(issuePaths({ image: "a", volumes: ["/a"] })).toEqual(["volumes[0]"]);
    expect(issuePaths({ image: "a", volumes: ["/a:/"] })).toEqual(["volumes[0]"]);
    expect(issuePaths({ image: "a", volumes: ["/a/../etc:/x"] })).toEqual(["volumes[0]"]);
    expect(issuePaths({ image: "a", volumes: ["/a:/x", "/b:/x/"] })).toEqual(["volumes"]);
  });

  it("env, workingDir, timeout, network, mpiexec, pidsLimit, pull, labels", () => {
    expect(issuePaths({ image: "a", env: { "A=B": "1" } })[0]).toMatch(/^env/);
    expect(issuePaths({ image: "a", workingDir: "rel" })).toEqual(["workingDir"]);
    expect(issuePaths({ image: "a", timeout: "soon" })).toEqual(["timeout"]);
    expect(issuePaths({ image: "a", timeout: 0 })).toEqual(["timeout"]);
    for (const ok of [1000, "30s", "5m", "1.5h", "250ms"]) expect(issuePaths({ image: "a", timeout: ok }), String(ok)).toEqual([]);
    expect(issuePaths({ image: "a", network: "bad name!" })).toEqual(["network"]);
    expect(issuePaths({ image: "a", network: "host" })).toEqual([]);
    expect(issuePaths({ image: "a", mpiexec: "" })).toEqual(["mpiexec"]);
    expect(issuePaths({ image: "a", mpiexec: [] })).toEqual(["mpiexec"]);
    expect(issuePaths({ image: "a", pidsLimit: 0 })).toEqual(["pidsLimit"]);
    expect(issuePaths({ image: "a", pull: "sometimes" })).toEqual(["pull"]);
    expect(issuePaths({ image: "a", removeContainer: "yes" })).toEqual(["removeContainer"]);
    expect(issuePaths({ image: "a", onLog: "console.log" })).toEqual(["onLog"]);
    expect(issuePaths({ image: "a", moduleTransfer: "ftp" })).toEqual(["moduleTransfer"]);
    expect(parse({ image: "a" }).moduleTransfer).toBe("auto");
  });

  it("derives a JSON Schema and marks path options, so config files resolve them against their folder", () => {
    const schema = configJsonSchema(dockerBackend) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["image", "dockerfile", "cpu", "memory", "user", "volumes", "timeout", "network", "pull"]),
    );
    expect(pathFields(dockerBackend).sort()).toEqual(["buildContext", "dockerfile", "moduleRoot"]);
  });

  it("rejects unknown options with a did-you-mean", () => {
    let error: InvalidConfigError | undefined;
    try {
      parse({ image: "a", memmory: "1g" });
    } catch (e) {
      error = e as InvalidConfigError;
    }
    expect(error?.issues).toEqual([{ path: "memmory", message: expect.stringContaining('"memory"') }]);
  });

  it("rejects an engine address it cannot use, naming the host field", async () => {
    const config = parse({ image: "a", host: "ftp://example" });
    await expect(dockerBackend.create(config)).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "host" }] });
  });

  it("fails with ERR_THEMIS_UNAVAILABLE naming the socket when no engine listens there, before any job", async () => {
    const socket = "/tmp/themis-no-engine-here.sock";
    const error = await Promise.resolve(dockerBackend.create(parse({ image: "a", host: `unix://${socket}` }))).catch(
      (e: unknown) => e as { code?: string; message: string; retryable?: boolean },
    );
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true });
    expect((error as { message: string }).message).toContain(socket);
  });
});
