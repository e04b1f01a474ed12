// The servers the scale bench's children talk to, each in its own process (never inside the
// measured child): a redis-server, a single-node Ceph radosgw and the stand-in Box API.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { RedisServer, redisServerInstalled } from "../../packages/backend-redis/test/support/redis-server.ts";
import { Radosgw, radosgwMissing } from "../../packages/backend-s3/test/support/radosgw.ts";

/** What a child needs to reach the servers (passed as JSON in its environment). */
export interface ServerSet {
  /** A fresh folder for this run (local/csv's rootDir). */
  dir?: string;
  redisUrl?: string;
  s3?: { endpoint: string; accessKeyId: string; secretAccessKey: string; bucket: string };
  box?: { developerToken: string; baseUrl: string; uploadUrl: string; oauth2Url: string; rootFolderId: string };
}

export interface StartedServers {
  env: ServerSet;
  /** Backends whose server is missing, with the reason. */
  skipped: Record<string, string>;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

async function startBox(token: string): Promise<{ child: ChildProcess; urls: { baseUrl: string; uploadUrl: string; oauth2Url: string } }> {
  const main = path.join(here, "../../packages/backend-box/test/box-server/main.ts");
  const child = spawn(process.execPath, [main, "--token", token], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await Promise.race([
    once(child.stdout!, "data"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the stand-in Box server exited with code ${String(code)}`);
    }),
  ])) as [Buffer];
  return { child, urls: JSON.parse(line.toString("utf8").trim()) as { baseUrl: string; uploadUrl: string; oauth2Url: string } };
}

/** Start the servers the chosen backends need; REDIS_URL / S3_ENDPOINT reuse existing ones. */
export async function startServers(backends: readonly string[], scratch: string): Promise<StartedServers> {
  const env: ServerSet = { dir: scratch };
  const skipped: Record<string, string> = {};
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    if (backends.includes("redis")) {
      if (process.env.REDIS_URL) env.redisUrl = process.env.REDIS_URL;
      else if (!redisServerInstalled()) skipped.redis = "redis-server is not installed and REDIS_URL is not set";
      else {
        const server = await RedisServer.start();
        stops.push(() => server.stop());
        env.redisUrl = server.url;
      }
    }
    if (backends.includes("s3")) {
      let endpoint = process.env.S3_ENDPOINT;
      let accessKeyId = process.env.S3_ACCESS_KEY_ID ?? "";
      let secretAccessKey = process.env.S3_SECRET_ACCESS_KEY ?? "";
      const missing = endpoint ? undefined : radosgwMissing();
      if (missing) skipped.s3 = `${missing}, and S3_ENDPOINT is not set`;
      else {
        if (!endpoint) {
          const server = await Radosgw.start();
          stops.push(() => server.stop());
          ({ endpoint, accessKeyId, secretAccessKey } = server.info);
        }
        const bucket = `themis-scale-${randomBytes(4).toString("hex")}`;
        const raw = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
        await raw.send(new CreateBucketCommand({ Bucket: bucket }));
        // The first PUT into a new radosgw creates its data pools (~2 s): not part of any figure.
        await raw.send(new PutObjectCommand({ Bucket: bucket, Key: "warmup", Body: "x" }));
        raw.destroy();
        env.s3 = { endpoint: endpoint!, accessKeyId, secretAccessKey, bucket };
      }
    }
    if (backends.includes("box/csv")) {
      const token = `scale-${randomBytes(8).toString("hex")}`;
      try {
        const { child, urls } = await startBox(token);
        stops.push(async () => {
          child.kill();
          await once(child, "exit").catch(() => undefined);
        });
        env.box = { developerToken: token, ...urls, rootFolderId: "0" };
      } catch (error) {
        skipped["box/csv"] = (error as Error).message;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, skipped, stop };
}
