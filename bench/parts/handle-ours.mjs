// Our handle() on Node, in process: the documentation's route with plain (zod)
// schemas, a MemoryReplayGuard, bodies pre-signed by our send() (its fetch
// intercepted), then handled through route.handle(new Request(...)).
//   node --expose-gc parts/handle-ours.mjs REQUESTS IN_FLIGHT [replay|reject]
// replay (the default) stores each request's answer for its duplicates; reject does not.
import { emit, log, QUICK } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";
import { glue, handler, oursFor } from "../lib/ours.mjs";

const requests = Number(process.argv[2] ?? (QUICK ? 4000 : 20000));
const inFlight = Number(process.argv[3] ?? 1);
const duplicates = process.argv[4] ?? "replay";
const URL_ = "http://bench.invalid/api/book-event-ticket";

const worker = glue.Account.create();
worker.replayGuard = new glue.MemoryReplayGuard();
const { route, makeBodies } = oursFor(URL_, worker.id, { duplicates });
const handle = (body) =>
  route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

// warm-up on a separate guard's worth of requests (not counted)
log(`ours: warm-up`);
await runLoad({ requests: 500, slice: 500, batch: 500, inFlight, makeBodies, handle });
log(`ours: ${requests} requests, ${inFlight} in flight`);
const result = await runLoad({ requests, slice: 2000, batch: 2000, inFlight, makeBodies, handle });
result.bodyBytes = Buffer.byteLength((await makeBodies(1, requests))[0]);
result.guardLiveIds = worker.replayGuard.size;
result.duplicates = duplicates;
result.guardBytes = worker.replayGuard.bytes;
result.answerBytesPerId = worker.replayGuard.answerBytes / Math.max(1, worker.replayGuard.size);
emit(result);
process.exit(0);
