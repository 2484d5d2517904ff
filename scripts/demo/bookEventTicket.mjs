// bookEventTicket.mjs: shared by client and server, as in JazzRPC's documentation.
import { experimental_defineRequest } from "../../js-glue/src/entries/node.js";
import { z } from "zod";

export function defineBookEventTicket(workerId, options) {
  return experimental_defineRequest({
    url: "/api/book-event-ticket",
    workerId,
    request: { schema: { eventId: z.string() } },
    response: { schema: { ticketId: z.string(), seatsLeft: z.number().int() } },
    options,
  });
}
