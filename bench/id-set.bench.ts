// Id sets: bytes per id and ns per add / has of core's packed IdSet and DoneSet, beside the
// hash tables of fingerprints they replace (bench/support/legacy-id-sets.ts).
//
//   node bench/id-set.bench.ts                    BENCH_SCALE=small (default): 10k and 100k ids
//   BENCH_SCALE=full node bench/id-set.bench.ts   100k, 1M and 10M ids
//   ID_SET_SIZES=1000000 node bench/id-set.bench.ts
//
// Each (structure, size) runs in its own child process started with --expose-gc: memory is
// the heap plus off-heap (typed array) bytes still held after a full collection, over the
// same figure before the set was made, divided by the ids. Times are CPU time (user + system)
// per operation, and include making each id string (`row-${i}`), the same for both. Figures are printed, never asserted on.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import { IdSet } from "@themis/core/backend";
import { DoneSet } from "../packages/core/dist/experiment/done-set.js";
import { OldDoneSet, OldIdSet } from "./support/legacy-id-sets.ts";

const full = process.env.BENCH_SCALE === "full";
const SIZES = process.env.ID_SET_SIZES ? process.env.ID_SET_SIZES.split(",").map(Number) : full ? [100_000, 1_000_000, 10_000_000] : [10_000, 100_000];
/** Lookups timed per run (hits, then misses), at most the set's size. */
const LOOKUPS = 1_000_000;

interface AnySet {
  add(id: string): void;
  has(id: string): unknown;
  readonly size: number;
}
const MAKERS: Record<string, () => AnySet> = {
  "IdSet (packed)": () => new IdSet(),
  "IdSet (old hash table)": () => new OldIdSet(),
  "DoneSet (packed)": () => new DoneSet(),
  "DoneSet (old hash table)": () => new OldDoneSet(),
};

interface Figures {
  bytesPerId: number;
  nsAdd: number;
  nsHit: number;
  nsMiss: number;
}

/** Heap and off-heap bytes held after full collections (typed arrays are freed by a background sweep: settle first). */
async function held(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** CPU time (user + system) in ns: on a shared machine the wall clock mostly measures the other jobs. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1_000;
}

async function measure(name: string, n: number): Promise<Figures> {
  const make = MAKERS[name];
  if (!make) throw new Error(`unknown structure ${name}`);
  const before = await held();
  const set = make();
  let t = cpuNs();
  for (let i = 0; i < n; i++) set.add(`row-${i}`);
  const nsAdd = (cpuNs() - t) / n;
  const bytesPerId = ((await held()) - before) / n;
  const lookups = Math.min(n, LOOKUPS);
  // A stride through the ids, so hits are not in insertion order.
  const stride = 7_919;
  let found = 0;
  t = cpuNs();
  for (let k = 0; k < lookups; k++) if (set.has(`row-${(k * stride) % n}`)) found++;
  const nsHit = (cpuNs() - t) / lookups;
  t = cpuNs();
  for (let k = 0; k < lookups; k++) if (set.has(`other-${k}`) === true) found++;
  const nsMiss = (cpuNs() - t) / lookups;
  if (set.size !== n || found < lookups) throw new Error(`${name}: ${set.size} ids, ${found} of ${lookups} found`);
  return { bytesPerId, nsAdd, nsHit, nsMiss };
}

if (process.argv[2] === "--child") {
  const [, , , name, n] = process.argv;
  process.stdout.write(`${JSON.stringify(await measure(name ?? "", Number(n)))}\n`);
  process.exit(0);
}

const here = fileURLToPath(import.meta.url);
console.log(
  `id sets: load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} (times are noisy on a shared machine)`,
);
console.log("ids        structure                  bytes/id   ns/add   ns/has hit   ns/has miss");
for (const n of SIZES) {
  const figures: Record<string, Figures> = {};
  for (const name of Object.keys(MAKERS)) {
    const r = spawnSync(process.execPath, ["--expose-gc", here, "--child", name, String(n)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) throw new Error(`${name} at ${n} ids failed (exit ${r.status})`);
    const f = JSON.parse(r.stdout) as Figures;
    figures[name] = f;
    console.log(
      `${String(n).padEnd(10)} ${name.padEnd(26)} ${f.bytesPerId.toFixed(2).padStart(8)} ${f.nsAdd.toFixed(0).padStart(8)} ${f.nsHit.toFixed(0).padStart(12)} ${f.nsMiss.toFixed(0).padStart(13)}`,
    );
  }
  for (const kind of ["IdSet", "DoneSet"]) {
    const now = figures[`${kind} (packed)`];
    const old = figures[`${kind} (old hash table)`];
    if (!now || !old) continue;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(
      `${String(n).padEnd(10)} ${kind} packed / old: memory ${ratio(now.bytesPerId, old.bytesPerId)}, add ${ratio(now.nsAdd, old.nsAdd)}, has hit ${ratio(now.nsHit, old.nsHit)}, has miss ${ratio(now.nsMiss, old.nsMiss)}`,
    );
  }
}
