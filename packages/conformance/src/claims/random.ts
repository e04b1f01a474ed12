/**
 * A deterministic sequence in [0, 1) (mulberry32) for the kill moments, so a failing seed can
 * be rerun. The same generator as core's internal `seededRandom` (not part of core's public
 * API): a seed picks the same kill moment as in the tests this suite replaces.
 */
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
