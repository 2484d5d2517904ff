// A Deno program that imports jazzrpc, for the bundle test: a round trip through
// send() and handle() in one process. Prints the ticket as JSON.
import { z } from "zod";
import { Account, defineRequest } from "../../js-glue/src/entries/deno-embedded.js";

const worker = Account.create();
const client = Account.create();
const route = defineRequest({
  url: "/api/book-event-ticket",
  workerId: worker.id,
  request: { eventId: z.string() },
  response: { ticketId: z.string() },
});
const fetch = (url, init) =>
  route.handle(new Request(new URL(url, "http://127.0.0.1"), init), worker, ({ eventId }) => ({ ticketId: `t-${eventId}` }));
console.log(JSON.stringify(await route.send({ eventId: "e1" }, { owner: client, fetch })));
