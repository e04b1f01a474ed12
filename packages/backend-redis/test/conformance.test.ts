import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { storageSuite } from "@themis/conformance";
import { KeyLayout } from "../src/index.js";
import { createBackend, dropPrefix, rawClient, redisAvailable, uniquePrefix } from "./support/env.js";

const prefix = uniquePrefix("conformance");
const layout = new KeyLayout(prefix);
let raw: Redis | undefined;
const probe = (): Redis => (raw ??= rawClient());

storageSuite({
  name: "redis",
  skip: redisAvailable ? false : "no Redis server",
  create: () => createBackend({ keyPrefix: prefix }),
  // Reads the raw keys: the table's name in its project's index, and its order sorted set.
  oracle: {
    async rowIds(project, kind, table) {
      const keys = layout.table(project, kind, table);
      if (!(await probe().sismember(keys.index, table))) return undefined;
      const [ids, stored] = await Promise.all([probe().zrange(keys.order, "0", "-1"), probe().hkeys(keys.rows)]);
      // Every id in the order index has its row, and no row is outside the index.
      expect([...stored].sort()).toEqual([...ids].sort());
      return ids;
    },
  },
});

describe.skipIf(!redisAvailable)("what the conformance run left in Redis", () => {
  let before: Record<string, number>;
  beforeAll(async () => {
    before = await commandCounts(probe());
  });
  afterAll(async () => {
    await dropPrefix(probe(), prefix);
    probe().disconnect();
  });

  it("stores every row as JSON in its table's hash", async () => {
    const backend = await createBackend({ keyPrefix: prefix });
    const { Project } = await import("@themis/core");
    const p = await Project.create(`raw_${Date.now()}`, backend);
    const t = await p.createDataset("d");
    const id = await t.append({ s: "1", n: 1, nested: { a: [true, null] } });
    expect(JSON.parse((await probe().hget(layout.table(p.name, "dataset", "d").rows, id))!)).toEqual({
      _row_id: id,
      s: "1",
      n: 1,
      nested: { a: [true, null] },
    });
    await backend.deleteProject(p.name);
    await backend.close();
  });

  it("never ran KEYS, FLUSHDB or FLUSHALL (counted by the server)", async () => {
    const after = await commandCounts(probe());
    for (const command of ["keys", "flushdb", "flushall"]) expect((after[command] ?? 0) - (before[command] ?? 0), command).toBe(0);
  });
});

async function commandCounts(client: Redis): Promise<Record<string, number>> {
  const info = await client.info("commandstats");
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
