// Timing helpers shared by the bench parts. Rates are operations per second over
// a fixed time budget; repetitions of several implementations are interleaved
// (round-robin) so that the machine's noise spreads over all of them, and the
// median of the repetitions is what is reported.
import { fileURLToPath } from "node:url";
import { median, rate, rateAwaited, rateInFlight, round } from "./timing.mjs";

export const QUICK = process.env.QUICK === "1";
// JAZZRPC_ROOT points the bench at another tree (a patched copy, for before/after runs).
export const ROOT = process.env.JAZZRPC_ROOT ? process.env.JAZZRPC_ROOT.replace(/\/?$/, "/") : fileURLToPath(new URL("../../", import.meta.url));
export const OUT = fileURLToPath(new URL("../out/", import.meta.url));

/** Budget per repetition (s) and repetitions; QUICK shortens both. */
export const BUDGET = QUICK ? { seconds: 0.25, reps: 3 } : { seconds: 1.0, reps: 7 };

export const log = (...args) => console.error("  ", ...args);

export { keep, median, quantile, rate, rateAwaited, rateInFlight, round } from "./timing.mjs";

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
