// What a rate limit costs handle() (issue 19.5): the documentation's route on a
// MemoryReplayGuard, one request at a time, in one process, with `rateLimit` (each
// request counted in its signer's sliding window, in the claim's step; a limit high
// enough that none is refused) and the same route without. Chunks of fresh bodies are
// handled by each in turn (the order alternating), so that both see the same machine;
// ratio is the median of the paired (time limited ÷ time without).
//   node --expose-gc parts/rate-limit.mjs [PAIRS] [CHUNK]
import { emit, log, median, QUICK, round } from "../lib/measure.mjs";
import { glue, handler, oursFor } from "../lib/ours.mjs";

const pairs = Number(process.argv[2] ?? (QUICK ? 9 : 25));
const CHUNK = Number(process.argv[3] ?? (QUICK ? 200 : 400));
const URL_ = "http://bench.invalid/api/book-event-ticket";

const worker = glue.Account.create();
worker.replayGuard = new glue.MemoryReplayGuard();
const plain = oursFor(URL_, worker.id);
// One signer sends every body: its window holds every request of the last minute (the ring's worst case).
const limited = oursFor(URL_, worker.id, { rateLimit: { requests: 1_000_000, perMs: 60_000 } });
const handle = (route, body) => route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

// Every body made first, so that only handle() runs between the clocks.
const WARM_UP = 3;
const all = await plain.makeBodies((pairs + WARM_UP) * 2 * CHUNK, 0);
let next = 0;
async function chunk(withLimit) {
  const bodies = all.slice(next, next + CHUNK);
  next += CHUNK;
  const route = withLimit ? limited.route : plain.route;
  const t = performance.now();
  for (const body of bodies) {
    const response = await handle(route, body);
    if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  }
  return performance.now() - t;
}

log("rate-limit: warm-up");
for (let i = 0; i < WARM_UP; i++) {
  await chunk(true);
  await chunk(false);
}
log(`rate-limit: ${pairs} pairs of ${CHUNK} requests with and without rateLimit`);
const ratios = [];
const limitedRates = [];
const plainRates = [];
for (let i = 0; i < pairs; i++) {
  const first = i % 2 === 0;
  const a = await chunk(first);
  const b = await chunk(!first);
  const [withLimit, without] = first ? [a, b] : [b, a];
  ratios.push(withLimit / without);
  limitedRates.push(CHUNK / (withLimit / 1000));
  plainRates.push(CHUNK / (without / 1000));
}
emit({
  pairs,
  chunk: CHUNK,
  ratio: round(median(ratios)),
  ratios: ratios.map((r) => round(r)),
  limitedPerSecond: round(median(limitedRates)),
  plainPerSecond: round(median(plainRates)),
  windowBytes: worker.replayGuard.rateBytes,
});
process.exit(0);
