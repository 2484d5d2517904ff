// What OpenTelemetry costs handle() (issue 19.5): the documentation's route on a
// MemoryReplayGuard, one request at a time, in one process, with telemetry on (the SDK's
// BasicTracerProvider with a BatchSpanProcessor whose exporter drops the spans, and a
// MeterProvider with a pull reader: every span and metric point is made and aggregated)
// and off (instrument(null): the path with no @opentelemetry/api, one check per request).
// On comes in two configurations: the default (instrument(api): one jazzrpc.handle span a
// request) and steps (instrument(api, { steps: true }): and a child span per step).
// Chunks of fresh bodies are handled off, default and steps in turn (the order rotating
// through all six), so that all three see the same machine; ratio is the median of the
// default's (time on ÷ time off of the same round), stepsRatio the same for steps; cpu*:
// from the process's CPU time; sum*: totals over all rounds. Small chunks (50 requests, a
// few ms) and many rounds: a machine shared with other busy processes moves a round's two
// chunks together more often than 400-request ones.
//   node --expose-gc parts/telemetry.mjs [ROUNDS=150] [CHUNK=50] [both|spans|metrics]
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { emit, log, median, QUICK, ROOT, round } from "../lib/measure.mjs";
import { glue, handler, oursFor } from "../lib/ours.mjs";

const pairs = Number(process.argv[2] ?? (QUICK ? 60 : 150));
const CHUNK = Number(process.argv[3] ?? 50);
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
const all = await makeBodies((pairs + WARM_UP) * 3 * CHUNK, 0);
let next = 0;
const CONFIG = { off: null, default: undefined, steps: { steps: true } };
async function chunk(config) {
  const bodies = all.slice(next, next + CHUNK);
  next += CHUNK;
  if (config === "off") glue.instrument(null);
  else glue.instrument(api, CONFIG[config]);
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (const body of bodies) {
    const response = await handle(body);
    if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  }
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

log(`telemetry: warm-up`);
for (let i = 0; i < WARM_UP; i++) for (const config of ["default", "steps", "off"]) await chunk(config);
const recorded = exported;
log(`telemetry: ${pairs} rounds of ${CHUNK} requests off, default and steps`);
const ORDERS = [
  ["off", "default", "steps"],
  ["default", "steps", "off"],
  ["steps", "off", "default"],
  ["off", "steps", "default"],
  ["steps", "default", "off"],
  ["default", "off", "steps"],
];
const ratios = [];
const stepsRatios = [];
const cpuRatios = [];
const cpuStepsRatios = [];
const rates = { off: [], default: [], steps: [] };
const totals = { off: { wall: 0, cpu: 0 }, default: { wall: 0, cpu: 0 }, steps: { wall: 0, cpu: 0 } };
for (let i = 0; i < pairs; i++) {
  const ms = {};
  for (const config of ORDERS[i % ORDERS.length]) ms[config] = await chunk(config);
  ratios.push(ms.default.wall / ms.off.wall);
  stepsRatios.push(ms.steps.wall / ms.off.wall);
  cpuRatios.push(ms.default.cpu / ms.off.cpu);
  cpuStepsRatios.push(ms.steps.cpu / ms.off.cpu);
  for (const config of Object.keys(rates)) {
    rates[config].push(CHUNK / (ms[config].wall / 1000));
    totals[config].wall += ms[config].wall;
    totals[config].cpu += ms[config].cpu;
  }
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
  stepsRatio: round(median(stepsRatios)),
  // The same from the process's CPU time (user + system, GC threads included) rather than
  // the wall clock: less moved by other processes taking the cores.
  cpuRatio: round(median(cpuRatios)),
  cpuStepsRatio: round(median(cpuStepsRatios)),
  // Totals over every round (a collection is charged to the chunk whose allocations caused it,
  // which a median of small chunks would leave out).
  sumRatio: round(totals.default.wall / totals.off.wall),
  sumStepsRatio: round(totals.steps.wall / totals.off.wall),
  cpuSumRatio: round(totals.default.cpu / totals.off.cpu),
  cpuSumStepsRatio: round(totals.steps.cpu / totals.off.cpu),
  stepsRatios: stepsRatios.map((r) => round(r)),
  onPerSecond: round(median(rates.default)),
  stepsPerSecond: round(median(rates.steps)),
  offPerSecond: round(median(rates.off)),
  spansPerRequest: round((exported - recorded) / (pairs * CHUNK)), // default and steps together: 1 + 6 = 7 per 2 requests
  requestsCounted,
  requestsOn: (pairs + WARM_UP) * 2 * CHUNK,
});
process.exit(0);
