import Papa from "papaparse";
import { createReadStream } from "node:fs";
let n = 0;
await new Promise<void>((resolve, reject) => Papa.parse(createReadStream("/tmp/memtest/m/datasets/d.csv"), { header: true, step: () => void n++, complete: () => resolve(), error: reject }));
console.log(n, "maxRSS", (process.resourceUsage().maxRSS / 1024).toFixed(0), "MB");
