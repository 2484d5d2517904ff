// Our handle() in workerd through Miniflare, with the Durable Object replay guard:
// bench/workerd/worker.js bundled as `wrangler deploy` would (workers-example's
// scripts), served on 127.0.0.1, bodies pre-signed by our send() in Node and posted
// over loopback HTTP.
//   node --expose-gc parts/handle-workerd.mjs REQUESTS IN_FLIGHT
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emit, log, QUICK, ROOT } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";
import { glue, oursFor } from "../lib/ours.mjs";

const requests = Number(process.argv[2] ?? (QUICK ? 2000 : 20000));
const inFlight = Number(process.argv[3] ?? 1);
const { bundleWorker, startLocal } = await import(ROOT + "workers-example/scripts/local.mjs");

const configPath = join(ROOT, "bench/workerd/wrangler.jsonc");
log("workerd: bundling bench/workerd/worker.js");
const bundle = await bundleWorker(configPath, join(tmpdir(), `jazzrpc-bench-workerd-${process.pid}`));
const worker = glue.Account.create();
const server = await startLocal({ configPath, bundle, bindings: { JAZZ_WORKER_SECRET: worker.secret } });
try {
  const url = new URL("/api/book-event-ticket", server.url).href;
  const { makeBodies } = oursFor("/api/book-event-ticket", worker.id);
  const handle = (body) => fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  log("workerd: warm-up");
  await runLoad({ requests: 300, slice: 300, batch: 300, inFlight, makeBodies, handle });
  log(`workerd: ${requests} requests, ${inFlight} in flight`);
  const result = await runLoad({ requests, slice: 2000, batch: 2000, inFlight, makeBodies, handle });
  result.note = "heap and RSS are the Node client's; workerd runs in its own process";
  emit(result);
} finally {
  await server.dispose();
}
process.exit(0);
