import { existsSync, mkdtempSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ThemisError } from "@themis/core";
import { type FailureKind, errnoOf, failureKindOfErrno, fileSystemError } from "@themis/core/backend";

const dir = mkdtempSync(path.join(tmpdir(), "themis-fs-failure-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("the call should have failed"),
    (error: unknown) => error,
  );
}

const options = { backend: "my/files", action: 'append to dataset "qa"' };

describe("failureKindOfErrno", () => {
  it.each([
    ["EACCES", "config"],
    ["EPERM", "config"],
    ["EROFS", "config"],
    ["ENOTDIR", "config"],
    ["EISDIR", "config"],
    ["ENAMETOOLONG", "config"],
    ["ENOSPC", "refused"],
    ["EDQUOT", "refused"],
    ["EIO", "refused"],
    ["EFBIG", "too-large"],
    ["EMFILE", "unavailable"],
    ["ENFILE", "unavailable"],
    ["EAGAIN", "unavailable"],
    ["EBUSY", "unavailable"],
    ["EINTR", "unavailable"],
    ["ENOENT", "not-found"],
    ["EEXIST", "already-exists"],
    ["EXDEV", "refused"],
    ["toString", "refused"],
    [undefined, "refused"],
  ] as const)("%s is %s", (code, kind: FailureKind) => {
    expect(failureKindOfErrno(code)).toBe(kind);
  });
});

describe("errnoOf", () => {
  it("reads the code of a system error only", () => {
    expect(errnoOf(Object.assign(new Error("x"), { code: "EACCES" }))).toBe("EACCES");
    expect(errnoOf(Object.assign(new Error("x"), { code: "EAI_AGAIN" }))).toBe("EAI_AGAIN");
    expect(errnoOf(Object.assign(new Error("x"), { code: "ERR_THEMIS_NOT_FOUND" }))).toBeUndefined();
    expect(errnoOf(Object.assign(new Error("x"), { code: "ERR_INVALID_ARG_TYPE" }))).toBeUndefined();
    expect(errnoOf(Object.assign(new Error("x"), { code: 13 }))).toBeUndefined();
    expect(errnoOf(null)).toBeUndefined();
    expect(errnoOf("EACCES")).toBeUndefined();
  });
});

describe("fileSystemError on real failures", () => {
  it("a folder where a file should be (EISDIR): INVALID_CONFIG naming the action, the path and what to do", async () => {
    const folder = path.join(dir, "a-folder");
    await mkdir(folder);
    const cause = await rejection(readFile(folder));
    const error = fileSystemError(cause, options);
    expect(error).toBeInstanceOf(ThemisError);
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", retryable: false, backend: "my/files", cause });
    expect(error).toMatchObject({ issues: [{ path: "rootDir", message: expect.stringContaining("EISDIR") }] });
    const { message } = error as Error;
    expect(message).toMatch(/^\[themis\] \[my\/files\] cannot append to dataset "qa": something else is at that path: move it away.*\n {2}- rootDir: EISDIR/);
  });

  it("a parent that is a file (ENOTDIR): INVALID_CONFIG with the field given", async () => {
    const file = path.join(dir, "a-file");
    await writeFile(file, "x");
    const cause = await rejection(writeFile(path.join(file, "child.csv"), "y"));
    expect(errnoOf(cause)).toBe("ENOTDIR");
    const error = fileSystemError(cause, { ...options, field: "dataDir" });
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "dataDir" }] });
    expect((error as Error).message).toContain(path.join(file, "child.csv"));
  });

  it("a missing file (ENOENT): NOT_FOUND, with the caller's message when given", async () => {
    const cause = await rejection(readFile(path.join(dir, "missing.csv")));
    expect(fileSystemError(cause, options)).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND", cause });
    const error = fileSystemError(cause, { ...options, notFound: 'dataset "qa" does not exist' });
    expect((error as Error).message).toBe('[themis] [my/files] dataset "qa" does not exist');
  });

  it("an existing path (EEXIST): ALREADY_EXISTS", async () => {
    const cause = await rejection(mkdir(dir));
    expect(fileSystemError(cause, options)).toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", cause });
  });

  it.skipIf(!existsSync("/dev/full"))("a full disk (ENOSPC, Linux's /dev/full): UNAVAILABLE, not retryable, free space then retry", async () => {
    const cause = await rejection(writeFile("/dev/full", "row"));
    expect(errnoOf(cause)).toBe("ENOSPC");
    const error = fileSystemError(cause, options);
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: false });
    expect((error as Error).message).toContain("free space");
  });

  // Root ignores permissions: there the mapping of EACCES is checked on the error Node builds.
  it("permission denied (EACCES): INVALID_CONFIG, check the folder's permissions", async () => {
    const locked = path.join(dir, "locked");
    await mkdir(locked);
    await chmod(locked, 0o500);
    const asRoot = process.getuid?.() === 0 || process.platform === "win32";
    const write = writeFile(path.join(locked, "t.csv"), "x");
    let cause: unknown;
    if (asRoot) {
      await write; // root may write anyway: map the error Node would have built
      cause = Object.assign(new Error(`EACCES: permission denied, open '${locked}/t.csv'`), { code: "EACCES", errno: -13, syscall: "open" });
    } else {
      cause = await rejection(write);
    }
    await chmod(locked, 0o700);
    const error = fileSystemError(cause, options);
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", retryable: false, issues: [{ path: "rootDir" }] });
    expect((error as Error).message).toContain("check the folder's permissions");
  });
});

describe("fileSystemError leaves what is no file-system failure alone", () => {
  it("too many open files and a busy file are retryable UNAVAILABLE", () => {
    for (const code of ["EMFILE", "EBUSY"]) {
      const error = fileSystemError(Object.assign(new Error(`${code}: x, open '/t'`), { code }), options);
      expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true });
    }
  });

  it("an unknown errno is a refusal that keeps Node's text", () => {
    const error = fileSystemError(Object.assign(new Error("EXDEV: cross-device link not permitted, rename 'a' -> 'b'"), { code: "EXDEV" }), options);
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: false });
    expect((error as Error).message).toBe("[themis] [my/files] cannot append to dataset \"qa\": EXDEV: cross-device link not permitted, rename 'a' -> 'b'");
  });

  it("a Themis error and an error without an errno come back as they are", () => {
    const themis = new ThemisError("ERR_THEMIS_CORRUPT_DATA", "torn line");
    const bug = new TypeError("x is not a function");
    expect(fileSystemError(themis, options)).toBe(themis);
    expect(fileSystemError(bug, options)).toBe(bug);
    expect(fileSystemError("a string", options)).toBe("a string");
  });
});
