// Timing helpers shared by the bench parts. Rates are operations per second over
// a fixed time budget; repetitions of several implementations are interleaved
// (round-robin) so that the machine's noise spreads over all of them, and the
// median of the repetitions is what is reported.
import { fileURLToPath } from "node:url";

export const QUICK = process.env.QUICK === "1";
// JAZZRPC_ROOT points the bench at another tree (a patched copy, for before/after runs).
export const ROOT = process.env.JAZZRPC_ROOT ? process.env.JAZZRPC_ROOT.replace(/\/?$/, "/") : fileURLToPath(new URL("../../", import.meta.url));
export const OUT = fileURLToPath(new URL("../out/", import.meta.url));

/** Budget per repetition (s) and repetitions; QUICK shortens both. */
export const BUDGET = QUICK ? { seconds: 0.25, reps: 3 } : { seconds: 1.0, reps: 7 };

export const log = (...args) => console.error("  ", ...args);

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** The q-quantile (0..1) of values, nearest rank. */
export function quantile(values, q) {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

let sink = 0;
/** Keeps a result observable so the JIT cannot drop the call. */
export const keep = (v) => {
  sink ^= typeof v === "number" ? v : v === true ? 1 : (v?.length ?? 0);
};

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

/** ops/s of an async fn, awaited one by one. */
export async function rateAwaited(fn, seconds) {
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) keep(await fn(count++));
  }
  return count / ((performance.now() - start) / 1000);
}

/** ops/s of an async fn with `inFlight` calls outstanding at all times. */
export async function rateInFlight(fn, seconds, inFlight = 64) {
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) keep(await fn(count++));
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return count / ((performance.now() - start) / 1000);
}

/**
 * Measures each named implementation `reps` times, interleaved, after a warm-up.
 * impls: { name: { fn, kind?: "sync"|"awaited"|"inflight", inFlight? } }
 * Returns { name: { median, samples } } in ops/s.
 */
export async function compare(impls, { seconds = BUDGET.seconds, reps = BUDGET.reps } = {}) {
  const run = (impl, s) => {
    if (impl.kind === "awaited") return rateAwaited(impl.fn, s);
    if (impl.kind === "inflight") return rateInFlight(impl.fn, s, impl.inFlight ?? 64);
    return rate(impl.fn, s);
  };
  const samples = {};
  for (const [name, impl] of Object.entries(impls)) {
    await run(impl, Math.max(0.1, seconds / 2)); // warm-up: JIT tiers, wasm tier-up
    samples[name] = [];
  }
  for (let r = 0; r < reps; r++) {
    for (const [name, impl] of Object.entries(impls)) samples[name].push(await run(impl, seconds));
  }
  const out = {};
  for (const [name, s] of Object.entries(samples)) out[name] = { median: median(s), samples: s.map((v) => round(v)) };
  return out;
}

export const round = (v, digits = 4) => (v === null || v === undefined ? v : Number(v.toPrecision(digits)));

/** Heap and RSS after a full collection (run node with --expose-gc). */
export function memory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Prints the part's result as the last line of stdout, for bench/run.mjs. */
export function emit(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}
