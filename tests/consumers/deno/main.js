// main.js: a Deno.serve server on 127.0.0.1 and a client, in one program, with jazzrpc
// and zod from node_modules (npm install jazzrpc zod):
//   deno run --allow-read --allow-net=127.0.0.1 main.js
// The worker account is made here; a real server would load it (startWorker reads
// JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET, which needs --allow-env for those two).
import { Account, JazzRequestError, experimental_defineRequest, isJazzRequestError } from "jazzrpc";
import { z } from "zod";

const worker = Account.create();
const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: worker.id,
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string() } },
});

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) =>
  bookEventTicket.handle(request, worker, async ({ eventId }, madeBy) => {
    if (eventId === "sold-out") throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
    return { ticketId: `${eventId}-${madeBy.id.slice(-6)}` };
  }),
);
const baseUrl = `http://127.0.0.1:${server.addr.port}`;

const me = Account.create();
const { ticketId } = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: me, baseUrl });
console.log("booked", JSON.stringify({ ticketId }));
try {
  await bookEventTicket.send({ eventId: "sold-out" }, { owner: me, baseUrl });
} catch (error) {
  if (!isJazzRequestError(error)) throw error;
  console.log("refused", JSON.stringify({ code: error.code, message: error.message, details: error.details }));
}
await server.shutdown();
