// What OpenTelemetry costs handle() (issue 19.5): the documentation's route on a
// MemoryReplayGuard, one request at a time, in one process, with telemetry on (the SDK's
// BasicTracerProvider with a BatchSpanProcessor whose exporter drops the spans, and a
// MeterProvider with a pull reader: every span and metric point is made and aggregated)
// and off (instrument(null): the path with no @opentelemetry/api, one check per request).
// Chunks of fresh bodies are handled on and off in turn (the order alternating), so that
// both see the same machine; ratio is the median of the paired (time on ÷ time off).
//   node --expose-gc parts/telemetry.mjs [PAIRS] [CHUNK] [both|spans|metrics]
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { emit, log, median, QUICK, ROOT, round } from "../lib/measure.mjs";
import { glue, handler, oursFor } from "../lib/ours.mjs";

const pairs = Number(process.argv[2] ?? (QUICK ? 9 : 25));
const CHUNK = Number(process.argv[3] ?? (QUICK ? 200 : 400));
const URL_ = "http://bench.invalid/api/book-event-ticket";

// The OpenTelemetry packages of the repository's root (its devDependencies), as an app has them.
const fromRoot = createRequire(ROOT + "package.json");
const load = (name) => import(pathToFileURL(fromRoot.resolve(name)).href);
const api = await load("@opentelemetry/api");
const { BasicTracerProvider, BatchSpanProcessor } = await load("@opentelemetry/sdk-trace-base");
const { MeterProvider, MetricReader } = await load("@opentelemetry/sdk-metrics");

let exported = 0;
const dropping = { export: (spans, done) => ((exported += spans.length), done({ code: 0 })), shutdown: async () => {}, forceFlush: async () => {} };
const MODE = process.argv[4] ?? "both"; // both, spans or metrics: which providers are registered
if (MODE !== "metrics") api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }));
class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new PullReader();
if (MODE !== "spans") api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

const worker = glue.Account.create();
worker.replayGuard = new glue.MemoryReplayGuard();
const { route, makeBodies } = oursFor(URL_, worker.id);
const handle = (body) => route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

// Every body made first (with telemetry off), so that only handle() runs between the clocks.
const WARM_UP = 3;
glue.instrument(null);
const all = await makeBodies((pairs + WARM_UP) * 2 * CHUNK, 0);
let next = 0;
async function chunk(on) {
  const bodies = all.slice(next, next + CHUNK);
  next += CHUNK;
  glue.instrument(on ? api : null);
  const t = performance.now();
  for (const body of bodies) {
    const response = await handle(body);
    if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  }
  return performance.now() - t;
}

log(`telemetry: warm-up`);
for (let i = 0; i < WARM_UP; i++) {
  await chunk(true);
  await chunk(false);
}
const recorded = exported;
log(`telemetry: ${pairs} pairs of ${CHUNK} requests on and off`);
const ratios = [];
const onRates = [];
const offRates = [];
for (let i = 0; i < pairs; i++) {
  const first = i % 2 === 0;
  const a = await chunk(first);
  const b = await chunk(!first);
  const [on, off] = first ? [a, b] : [b, a];
  ratios.push(on / off);
  onRates.push(CHUNK / (on / 1000));
  offRates.push(CHUNK / (off / 1000));
}
await new Promise((resolve) => setTimeout(resolve, 300)); // the last batch of spans exported
const { resourceMetrics } = MODE === "spans" ? { resourceMetrics: { scopeMetrics: [] } } : await reader.collect();
const requestsCounted = resourceMetrics.scopeMetrics
  .flatMap((s) => s.metrics)
  .filter((m) => m.descriptor.name === "jazzrpc.server.requests")
  .flatMap((m) => m.dataPoints)
  .reduce((n, p) => n + p.value, 0);
emit({
  mode: MODE,
  pairs,
  chunk: CHUNK,
  ratio: round(median(ratios)),
  ratios: ratios.map((r) => round(r)),
  onPerSecond: round(median(onRates)),
  offPerSecond: round(median(offRates)),
  spansPerRequest: round((exported - recorded) / (pairs * CHUNK)),
  requestsCounted,
  requestsOn: (pairs + WARM_UP) * CHUNK,
});
process.exit(0);
