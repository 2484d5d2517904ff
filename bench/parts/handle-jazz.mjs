// jazz-tools 0.20.19's own handle(): its experimental_defineRequest with a worker
// account from jazz-tools/testing (in-process sync server). Bodies are made by its
// send() (fetch intercepted) in batches of 500, each batch signed untimed just
// before it is handled, since a body expires after 60 s.
//   node --expose-gc parts/handle-jazz.mjs REQUESTS IN_FLIGHT
import { emit, log, QUICK } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";
import { quietJazzWarnings, setupJazz, URL_ } from "../lib/jazz.mjs";

quietJazzWarnings();
const requests = Number(process.argv[2] ?? (QUICK ? 500 : 6000));
const inFlight = Number(process.argv[3] ?? 1);
const { worker, route, makeBodies } = await setupJazz();
const handler = async ({ eventId }) => ({ ticketId: `ticket-${eventId}` });
const handle = (body) =>
  route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

log(`jazz-tools: ${requests} requests, ${inFlight} in flight`);
const result = await runLoad({ requests, slice: 2000, batch: 500, inFlight, makeBodies, handle });
emit(result);
process.exit(0);
