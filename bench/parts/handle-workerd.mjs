// Our handle() in workerd through Miniflare, the Workers figure taken apart: four
// Workers served on 127.0.0.1 in the same run, each bundled as `wrangler deploy`
// would (workers-example's scripts), bodies pre-signed by our send() in Node and
// posted over loopback HTTP, one at a time and with 64 in flight.
//
//   empty     bench/workerd/empty.js: a constant 200 (workerd + Miniflare + loopback HTTP alone)
//   noGuard   the route, ids claimed at a MemoryReplayGuard in the isolate: jazzrpc's
//             verify + sign without a Durable Object
//   doGuard   the route with durableObjectReplayGuard (one shard)
//   inObject  the route inside the Durable Object that owns the state, with exactlyOnce
//             (the Worker verifies, then forwards; docs/cloudflare.md's whole program)
//
//   node --expose-gc parts/handle-workerd.mjs [--variants a,b] [--in-flight 1,64] [--requests N]
//     -> { variants: { empty: { "1": load, "64": load }, noGuard: …, doGuard: …, inObject: … },
//          ratios: { noGuardOverDoGuard: { "1": x, "64": y } }, requests, order, note }
//        where each load is what bench/lib/load.mjs runLoad returns.
//   node --expose-gc parts/handle-workerd.mjs REQUESTS IN_FLIGHT
//     -> the doGuard figure alone, a runLoad result (the form bench/run.mjs used first)
//
// Every Worker is started before the first measurement and measured in turn, in-flight
// count first, so that the figures compared (say noGuard and doGuard at 64) are taken
// next to each other on a noisy machine. QUICK=1 takes fewer requests.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { emit, log, QUICK, ROOT, round } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";
import { glue, oursFor } from "../lib/ours.mjs";

const VARIANTS = ["empty", "noGuard", "doGuard", "inObject"];
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { variants: { type: "string" }, "in-flight": { type: "string" }, requests: { type: "string" } },
});
const legacy = positionals.length > 0;
const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
const variants = legacy ? ["doGuard"] : list(values.variants ?? VARIANTS.join(","));
const inFlights = legacy ? [Number(positionals[1] ?? 1)] : list(values["in-flight"] ?? "1,64").map(Number);
const requests = Number(legacy ? positionals[0] : (values.requests ?? (QUICK ? 600 : 4000)));
for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v}: one of ${VARIANTS.join(", ")}`);
for (const n of inFlights) if (!(Number.isInteger(n) && n >= 1)) throw new Error(`bad in-flight count ${n}`);
if (!(Number.isInteger(requests) && requests >= 1)) throw new Error(`bad request count ${requests}`);

const { bundleWorker, startLocal } = await import(ROOT + "workers-example/scripts/local.mjs");
const worker = glue.Account.create();
const configs = {
  route: join(ROOT, "bench/workerd/wrangler.jsonc"),
  empty: join(ROOT, "bench/workerd/wrangler.empty.jsonc"),
};
const bundles = {};
const servers = {};
try {
  for (const variant of variants) {
    const kind = variant === "empty" ? "empty" : "route";
    if (!bundles[kind]) {
      log(`workerd: bundling ${configs[kind]}`);
      bundles[kind] = await bundleWorker(configs[kind], join(tmpdir(), `jazzrpc-bench-workerd-${kind}-${process.pid}`));
    }
    servers[variant] = await startLocal({
      configPath: configs[kind],
      bundle: bundles[kind],
      bindings: { JAZZ_WORKER_SECRET: worker.secret, BENCH_VARIANT: variant },
    });
  }

  const measure = async (variant, inFlight) => {
    const url = new URL("/api/book-event-ticket", servers[variant].url).href;
    const { makeBodies } = oursFor("/api/book-event-ticket", worker.id);
    const handle = (body) => fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    log(`workerd ${variant}: warm-up, ${inFlight} in flight`);
    await runLoad({ requests: 300, slice: 300, batch: 300, inFlight, makeBodies, handle });
    log(`workerd ${variant}: ${requests} requests, ${inFlight} in flight`);
    const result = await runLoad({ requests, slice: 2000, batch: 2000, inFlight, makeBodies, handle });
    result.note = "heap and RSS are the Node client's; workerd runs in its own process";
    log(`workerd ${variant}, ${inFlight} in flight: ${result.perSecond} requests/s, p50 ${result.p50Ms} ms, ${result.failures} failures`);
    return result;
  };

  const out = { variants: {}, ratios: {}, requests, order: [] };
  for (const inFlight of inFlights) {
    for (const variant of variants) {
      (out.variants[variant] ??= {})[inFlight] = await measure(variant, inFlight);
      out.order.push(`${variant}@${inFlight}`);
    }
  }
  if (legacy) {
    emit(out.variants.doGuard[inFlights[0]]);
  } else {
    if (out.variants.noGuard && out.variants.doGuard) {
      out.ratios.noGuardOverDoGuard = Object.fromEntries(
        inFlights.map((n) => [n, round(out.variants.noGuard[n].perSecond / out.variants.doGuard[n].perSecond)]),
      );
    }
    out.note = "requests/s over loopback HTTP; heap and RSS are the Node client's; workerd runs in its own process per variant";
    emit(out);
  }
} finally {
  for (const server of Object.values(servers)) await server.dispose();
}
process.exit(0);
