// The timing helpers of bench/lib/measure.mjs, for a page: rates in ops/s over a fixed
// time budget, implementations interleaved round-robin, the median of the repetitions.
// (That module imports node:url; the page shares its rates through bench/lib/timing.mjs,
// and has this compare().)
// One difference: the warm-up is at least 0.5 s per implementation (not 0.1 s), so that Chromium's
// wasm tier-up (Liftoff first, TurboFan for hot functions, compiled in the background)
// is done before the repetitions; the warm-up's own rate is returned beside them.

import { median, rate, round } from "../lib/timing.mjs";

export { median, round };

/**
 * Measures each named implementation (a synchronous fn) `reps` times, interleaved, after
 * a warm-up of each. Returns { name: { median, samples, warmup } } in ops/s.
 */
export async function compare(impls, { seconds, reps, warmup = Math.max(0.5, seconds / 2) }) {
  const samples = {};
  const warm = {};
  for (const [name, fn] of Object.entries(impls)) {
    warm[name] = rate(fn, warmup);
    samples[name] = [];
    await pause();
  }
  for (let r = 0; r < reps; r++) {
    for (const [name, fn] of Object.entries(impls)) {
      samples[name].push(rate(fn, seconds));
      await pause(); // lets the page's event loop (and the DevTools protocol) breathe between samples
    }
  }
  const out = {};
  for (const [name, s] of Object.entries(samples)) out[name] = { median: median(s), samples: s.map((v) => round(v)), warmup: round(warm[name]) };
  return out;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));
