// The timing helpers of bench/lib/measure.mjs, for a page: rates in ops/s over a fixed
// time budget, implementations interleaved round-robin, the median of the repetitions.
// (That module imports node:url, so the page has this copy of rate() and compare().)
// One difference: the warm-up is at least 0.5 s per implementation (not 0.1 s), so that Chromium's
// wasm tier-up (Liftoff first, TurboFan for hot functions, compiled in the background)
// is done before the repetitions; the warm-up's own rate is returned beside them.

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export const round = (v, digits = 4) => (v === null || v === undefined ? v : Number(v.toPrecision(digits)));

let sink = 0;
/** Keeps a result observable so the JIT cannot drop the call. */
export const keep = (v) => {
  sink ^= typeof v === "number" ? v : v === true ? 1 : (v?.length ?? 0);
};
export const sunk = () => sink;

/** ops/s of a synchronous fn over `seconds`, called in growing batches. */
export function rate(fn, seconds) {
  let count = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < batch; i++) keep(fn(count + i));
    count += batch;
    elapsed = performance.now() - start;
    if (elapsed < seconds * 50) batch *= 2;
  }
  return count / (elapsed / 1000);
}

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
