// Our handle() on Node, in process: the documentation's route with plain (zod)
// schemas, a MemoryReplayGuard, bodies pre-signed by our send() (its fetch
// intercepted), then handled through route.handle(new Request(...)).
//   node --expose-gc parts/handle-ours.mjs REQUESTS IN_FLIGHT
import { z } from "zod";
import { emit, log, QUICK, ROOT } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";

const glue = await import(ROOT + "js-glue/src/node.js");
const { Account, MemoryReplayGuard, experimental_defineRequest } = glue;

const requests = Number(process.argv[2] ?? (QUICK ? 4000 : 20000));
const inFlight = Number(process.argv[3] ?? 1);
const URL_ = "http://bench.invalid/api/book-event-ticket";

const worker = Account.create();
worker.replayGuard = new MemoryReplayGuard();
const client = Account.create();
const route = experimental_defineRequest({
  url: URL_,
  workerId: worker.id,
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string() } },
});

let captured = [];
const capture = async (_url, init) => {
  captured.push(init.body);
  return new Response("captured by the bench", { status: 599 });
};
const makeBodies = async (count, from) => {
  captured = [];
  for (let i = 0; i < count; i++) {
    await route.send({ eventId: `event-${from + i}` }, { owner: client, fetch: capture }).catch((error) => {
      if (error?.code !== 599) throw error;
    });
  }
  return captured;
};
const handler = async ({ eventId }) => ({ ticketId: `ticket-${eventId}` });
const handle = (body) =>
  route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

// warm-up on a separate guard's worth of requests (not counted)
log(`ours: warm-up`);
await runLoad({ requests: 500, slice: 500, batch: 500, inFlight, makeBodies, handle });
log(`ours: ${requests} requests, ${inFlight} in flight`);
const result = await runLoad({ requests, slice: 2000, batch: 2000, inFlight, makeBodies, handle });
result.bodyBytes = Buffer.byteLength((await makeBodies(1, requests))[0]);
result.guardLiveIds = worker.replayGuard.size;
emit(result);
process.exit(0);
