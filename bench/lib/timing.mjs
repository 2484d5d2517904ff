// Timing helpers with no Node import, shared by the bench parts (through measure.mjs) and
// the page of the browser part (bench/browser/measure.mjs): rates in ops/s over a time
// budget, medians, quantiles.

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

export const round = (v, digits = 4) => (v === null || v === undefined ? v : Number(v.toPrecision(digits)));
