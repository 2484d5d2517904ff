// src/main.js: the page's client. No init(): the browser entry of "jazzrpc" loads its
// wasm by itself, and the route's relative url resolves against the page.
import { defineRequest, Account, isJazzRequestError } from "jazzrpc";
import { z } from "zod";

const bookEventTicket = defineRequest({
  url: "/api/book",
  workerId: import.meta.env.VITE_JAZZ_WORKER_ACCOUNT, // set when `vite build` runs
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string(), seatsLeft: z.number() } },
});

async function book(eventId, output) {
  try {
    const me = Account.create();
    const { ticketId } = await bookEventTicket.send({ eventId }, { owner: me });
    output.textContent = ticketId;
  } catch (error) {
    output.textContent = isJazzRequestError(error) ? error.message : `unexpected: ${error}`;
  }
}

async function main() {
  await book("jazz-night", document.querySelector("#ticket"));
  await book("sold-out", document.querySelector("#error"));
  document.body.dataset.done = "true";
}
main();
