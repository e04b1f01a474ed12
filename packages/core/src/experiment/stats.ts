/** Small, dependency-free statistics for comparing two runs row by row. */

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same numbers, so a comparison reads the same twice. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Paired bootstrap of the mean difference: a percentile confidence interval and a two-sided p-value. */
export interface BootstrapResult {
  mean: number;
  low: number;
  high: number;
  p: number;
}

/**
 * Bootstrap the mean of paired differences: resample the differences with replacement
 * `resamples` times; the interval is the `(1-level)/2` and `(1+level)/2` percentiles, the
 * p-value twice the share of resampled means on the far side of zero.
 */
export function bootstrapMean(diffs: readonly number[], options: { resamples?: number; level?: number; seed?: number } = {}): BootstrapResult {
  const n = diffs.length;
  const mean = n === 0 ? Number.NaN : diffs.reduce((a, b) => a + b, 0) / n;
  if (n === 0) return { mean, low: Number.NaN, high: Number.NaN, p: Number.NaN };
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diffs[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const at = (q: number): number => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  let below = 0;
  let above = 0;
  for (const m of means) {
    if (m <= 0) below++;
    if (m >= 0) above++;
  }
  const p = Math.min(1, (2 * Math.min(below, above)) / resamples);
  return { mean, low: at((1 - level) / 2), high: at((1 + level) / 2), p };
}

/** Complementary error function (Numerical Recipes' erfc approximation, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * McNemar's test on paired booleans, from the discordant pairs: `b` (true in A only) and
 * `c` (true in B only). Exact binomial below 25 discordant pairs, else chi-square with
 * continuity correction. Returns the two-sided p-value (1 when there is no discordance).
 */
export function mcnemar(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  if (n < 25) {
    // Two-sided exact: twice the binomial(n, 1/2) tail of the smaller count.
    const k = Math.min(b, c);
    let tail = 0;
    let coef = 1;
    for (let i = 0; i <= k; i++) {
      if (i > 0) coef = (coef * (n - i + 1)) / i;
      tail += coef;
    }
    return Math.min(1, (2 * tail) / 2 ** n);
  }
  const chi = (Math.abs(b - c) - 1) ** 2 / n;
  return erfc(Math.sqrt(chi / 2));
}
