// Builds the test images without any registry:
// - busybox: the static busybox binary of busybox-static plus applet links, /etc/passwd and
//   /tmp, imported as a one-layer image (~0.1 s);
// - node: a Debian minbase rootfs made by debootstrap (cached as a tarball under the cache
//   folder, keyed by a hash of its recipe, so only the first run pays ~30 s) with this
//   machine's Node binary copied in by a two-line Dockerfile.
// Tags carry a hash of their inputs, so an engine that already has them (DOCKER_HOST) skips
// the work.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Docker from "dockerode";
import tar from "tar-stream";

export interface TestImages {
  /** A busybox image: `sh`, `cat`, `echo`, `id`, `ip`, `wget`, ... */
  busybox: string;
  /** A Debian minbase image with `node` on PATH (the Node that runs the tests). */
  node: string;
}

/** Where slow-to-make inputs (the debootstrap rootfs) are kept between runs. */
export function testCacheDir(): string {
  if (process.env.THEMIS_TEST_CACHE_DIR) return process.env.THEMIS_TEST_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
  return path.join(base, "themis-test");
}

const BUSYBOX_BINARY = process.env.THEMIS_TEST_BUSYBOX || "/bin/busybox";
const DEBIAN_SUITE = process.env.THEMIS_TEST_DEBIAN_SUITE || "bookworm";
const DEBIAN_MIRROR = process.env.THEMIS_TEST_DEBIAN_MIRROR || "http://deb.debian.org/debian";
// Bump when the way a rootfs is made changes, so caches built the old way are not reused.
const RECIPE_VERSION = "1";

function shortHash(...parts: Array<string | Buffer>): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 16);
}

async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Wait for an engine progress stream (import, build) and throw the first error it reports. */
async function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
      if (error) return reject(error);
      const failed = events.find((e) => e.error || e.errorDetail);
      if (failed) return reject(new Error(failed.error ?? failed.errorDetail?.message));
      resolve();
    });
  });
}

/** Build (or find) both test images on `docker`. */
export async function ensureTestImages(docker: Docker): Promise<TestImages> {
  const busybox = await ensureBusyboxImage(docker);
  const node = await ensureNodeImage(docker);
  return { busybox, node };
}

/**
 * True when an ELF executable needs a dynamic loader (has a PT_INTERP program header):
 * Debian's plain `busybox` package installs such a /bin/busybox, useless in an image
 * without libc; `busybox-static` installs a static one.
 */
function isDynamicElf(binary: Buffer): boolean {
  if (binary.length < 64 || binary.readUInt32BE(0) !== 0x7f454c46 || binary[4] !== 2) return false;
  const phoff = Number(binary.readBigUInt64LE(0x20));
  const phentsize = binary.readUInt16LE(0x36);
  const phnum = binary.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (binary.readUInt32LE(phoff + i * phentsize) === 3) return true;
  }
  return false;
}

/** A busybox image from busybox-static, made as a tar stream in memory and imported. */
export async function ensureBusyboxImage(docker: Docker): Promise<string> {
  if (!existsSync(BUSYBOX_BINARY)) {
    throw new Error(`${BUSYBOX_BINARY} not found: apt-get install -y busybox-static (or set THEMIS_TEST_BUSYBOX)`);
  }
  const binary = readFileSync(BUSYBOX_BINARY);
  if (isDynamicElf(binary)) {
    throw new Error(`${BUSYBOX_BINARY} is dynamically linked (the "busybox" package): apt-get install -y busybox-static`);
  }
  const tag = `themis-test/busybox:${shortHash(RECIPE_VERSION, binary)}`;
  if (await hasImage(docker, tag)) return tag;

  const listed = spawnSync(BUSYBOX_BINARY, ["--list"], { encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`${BUSYBOX_BINARY} --list failed: ${listed.stderr}`);
  const applets = listed.stdout.split("\n").filter((a) => a && a !== "busybox");

  const pack = tar.pack();
  const dir = (name: string, mode = 0o755) => pack.entry({ name, type: "directory", mode });
  const file = (name: string, content: string | Buffer, mode = 0o644) => pack.entry({ name, mode }, content);
  dir("bin");
  dir("etc");
  dir("home");
  dir("root", 0o700);
  dir("tmp", 0o1777);
  dir("proc");
  dir("sys");
  dir("dev");
  file("bin/busybox", binary, 0o755);
  for (const applet of applets) pack.entry({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" });
  file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nthemis:x:1000:1000:themis:/home:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  file("etc/group", "root:x:0:\nthemis:x:1000:\nnogroup:x:65534:\n");
  pack.finalize();

  const [repo, version] = tag.split(":") as [string, string];
  const progress = await docker.importImage(
    pack as unknown as NodeJS.ReadableStream,
    {
      repo,
      tag: version,
      changes: ["ENV PATH=/bin", 'CMD ["sh"]'],
    } as object,
  );
  await followProgress(docker, progress);
  return tag;
}

/** Path of the cached Debian minbase rootfs tarball, made by debootstrap when missing. */
export function ensureDebianRootfs(): string {
  const key = shortHash(RECIPE_VERSION, DEBIAN_SUITE, DEBIAN_MIRROR, "minbase");
  const cacheDir = testCacheDir();
  const tarball = path.join(cacheDir, `debian-${DEBIAN_SUITE}-minbase-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(path.join(cacheDir, "rootfs-"));
  try {
    const root = path.join(work, "root");
    const started = Date.now();
    console.log(`[themis docker tests] debootstrap ${DEBIAN_SUITE} (minbase) into the cache, once (~30 s)...`);
    const boot = spawnSync("debootstrap", ["--variant=minbase", DEBIAN_SUITE, root, DEBIAN_MIRROR], { encoding: "utf8" });
    if (boot.error || boot.status !== 0) {
      const detail = boot.error ? boot.error.message : (boot.stdout + boot.stderr).split("\n").slice(-15).join("\n");
      throw new Error(`debootstrap failed (apt-get install -y debootstrap; needs root and ${DEBIAN_MIRROR}):\n${detail}`);
    }
    // What a runtime image does not need: package caches, docs, man pages, locales.
    for (const extra of ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"]) {
      rmSync(path.join(root, extra), { recursive: true, force: true });
    }
    const partial = path.join(work, "rootfs.tar");
    const packed = spawnSync("tar", ["-C", root, "--numeric-owner", "-cf", partial, "."], { encoding: "utf8" });
    if (packed.status !== 0) throw new Error(`tar of the rootfs failed: ${packed.stderr}`);
    // Atomic publish: a concurrent run sees either no tarball or a whole one.
    renameSync(partial, tarball);
    console.log(`[themis docker tests] rootfs cached at ${tarball} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tarball;
}

/** The Node binary copied into the node image: THEMIS_TEST_NODE_BINARY or the one running now. */
function nodeBinary(): string {
  return realpathSync(process.env.THEMIS_TEST_NODE_BINARY || process.execPath);
}

/** Debian minbase + this machine's Node binary at /usr/local/bin/node. */
export async function ensureNodeImage(docker: Docker): Promise<string> {
  const binary = nodeBinary();
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout.trim();
  const size = statSync(binary).size;
  const baseKey = shortHash(RECIPE_VERSION, DEBIAN_SUITE, DEBIAN_MIRROR, "minbase");
  const tag = `themis-test/node:${shortHash(baseKey, version, String(size))}`;
  if (await hasImage(docker, tag)) return tag;

  const baseTag = `themis-test/debian-${DEBIAN_SUITE}:${baseKey}`;
  if (!(await hasImage(docker, baseTag))) {
    const tarball = ensureDebianRootfs();
    const [repo, version_] = baseTag.split(":") as [string, string];
    const progress = await docker.importImage(createReadStream(tarball), {
      repo,
      tag: version_,
      changes: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    } as object);
    await followProgress(docker, progress);
  }

  // Build context as a tar stream: the Dockerfile and the node binary, nothing else.
  const pack = tar.pack();
  pack.entry({ name: "Dockerfile", mode: 0o644 }, `FROM ${baseTag}\nCOPY node /usr/local/bin/node\n`);
  const entry = pack.entry({ name: "node", mode: 0o755, size });
  const copied = pipeline(createReadStream(binary), entry).then(() => pack.finalize());
  const progress = await docker.buildImage(Readable.from(pack) as unknown as NodeJS.ReadableStream, { t: tag, version: "1", rm: true, forcerm: true });
  await Promise.all([copied, followProgress(docker, progress)]);
  return tag;
}

// `node test/engine/images.ts`: build them on the engine DOCKER_HOST names.
if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const images = await ensureTestImages(new Docker());
  console.log(images, `${Date.now() - started} ms`);
}
