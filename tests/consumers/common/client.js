// client.js: a Node client. It books a seat, then meets a full event.
// node client.js http://127.0.0.1:8080   (JAZZ_WORKER_ACCOUNT set, as for the server)
import { Account, JazzRequestError, isJazzRequestError } from "jazzrpc";
import { bookEventTicket } from "./bookEventTicket.js";

const baseUrl = process.argv[2]; // Node has no page to resolve "/api/book" against
const me = Account.create();

const { ticketId, seatsLeft } = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: me, baseUrl });
console.log("booked", JSON.stringify({ ticketId, seatsLeft }));

try {
  await bookEventTicket.send({ eventId: "sold-out" }, { owner: me, baseUrl });
} catch (error) {
  if (!isJazzRequestError(error)) throw error;
  const { code, message, details } = error;
  console.log("refused", JSON.stringify({ code, message, details, isJazzRequestError: error instanceof JazzRequestError }));
}
