// The handle() load shared by ours and jazz-tools': requests in slices, each
// slice's bodies signed first (untimed), then handled one at a time or with
// `inFlight` outstanding (timed). Reports requests/s overall and per slice,
// p50/p99 latency and heap/RSS at the start and the end.
import { memory, quantile, round } from "./measure.mjs";

/**
 * @param {object} o
 * @param {number} o.requests   total requests
 * @param {number} o.slice      requests per reported slice
 * @param {number} o.batch      bodies signed at a time (<= slice; bodies expire after 60 s)
 * @param {number} o.inFlight   1: awaited one by one
 * @param {(count: number, from: number) => Promise<string[]>} o.makeBodies
 * @param {(body: string) => Promise<Response>} o.handle
 * @param {(res: Response, text: string) => void} [o.check]
 */
export async function runLoad({ requests, slice, batch, inFlight, makeBodies, handle, check }) {
  const latencies = new Float64Array(requests);
  const slices = [];
  const batches = [];
  const start = memory();
  let handledMs = 0;
  let signMs = 0;
  let done = 0;
  let sliceMs = 0;
  let sliceCount = 0;
  let failures = 0;
  let firstFailure = null;
  while (done < requests) {
    const n = Math.min(batch, requests - done);
    const s0 = performance.now();
    const bodies = await makeBodies(n, done);
    signMs += performance.now() - s0;
    let next = 0;
    const one = async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        const res = await handle(bodies[i]);
        const text = await res.text();
        latencies[done + i] = performance.now() - t0;
        if (res.status !== 200) {
          failures++;
          firstFailure ??= `${res.status} ${text.slice(0, 200)}`;
        } else check?.(res, text);
      }
    };
    const t = performance.now();
    await Promise.all(Array.from({ length: Math.min(inFlight, n) }, one));
    const ms = performance.now() - t;
    handledMs += ms;
    batches.push({ upTo: done + n, perSecond: round(n / (ms / 1000)) });
    sliceMs += ms;
    sliceCount += n;
    done += n;
    if (sliceCount >= slice || done === requests) {
      slices.push({ upTo: done, requests: sliceCount, perSecond: round(sliceCount / (sliceMs / 1000)) });
      sliceMs = 0;
      sliceCount = 0;
    }
  }
  const end = memory();
  const perSlice = slices.map((s) => s.perSecond);
  return {
    requests,
    inFlight,
    perSecond: round(requests / (handledMs / 1000)),
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    slices,
    batches,
    lastToFirstSlice: round(perSlice.at(-1) / perSlice[0]),
    heapStart: start.heapUsed,
    heapEnd: end.heapUsed,
    rssStart: start.rss,
    rssEnd: end.rss,
    signSeconds: round(signMs / 1000),
    failures,
    firstFailure,
  };
}
