// bookEventTicket.js — shared by client and server, as in JazzRPC's documentation.
// workerId is the worker account's id (JAZZ_WORKER_ACCOUNT): the client trusts only
// responses signed by it, and the server only accepts requests signed for it.
import { experimental_defineRequest } from "jazzrpc";
import { z } from "zod";

export const BOOK_EVENT_TICKET_URL = "/api/book-event-ticket";

/** @param {string} workerId */
export function defineBookEventTicket(workerId, options) {
  return experimental_defineRequest({
    url: BOOK_EVENT_TICKET_URL,
    workerId,
    options,
    request: { schema: { eventId: z.string().min(1).max(64) } },
    response: { schema: { ticketId: z.string(), seatsLeft: z.number().int().nonnegative() } },
  });
}
