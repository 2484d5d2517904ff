// client.js: books once against the Worker, keeping the signed body it sent, then sends
// that same body again as a replay would. node client.js http://127.0.0.1:8787
import { Account, experimental_defineRequest } from "jazzrpc";
import { z } from "zod";

const baseUrl = process.argv[2];
const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: process.env.JAZZ_WORKER_ACCOUNT,
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string() } },
});

let body;
const keepBody = async (url, init) => {
  body = init.body;
  return fetch(url, init);
};
const { ticketId } = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: Account.create(), baseUrl, fetch: keepBody });
console.log("booked", JSON.stringify({ ticketId }));

const again = await fetch(new URL("/api/book", baseUrl), { method: "POST", headers: { "Content-Type": "application/json" }, body });
const replayed = { status: again.status, replayedHeader: again.headers.get("X-Jazz-Replayed"), body: await again.json() };
console.log("replay", JSON.stringify(replayed));
