// bookEventTicket.js: the route, shared by the server and its clients.
import { experimental_defineRequest } from "jazzrpc";
import { z } from "zod";

export const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: process.env.JAZZ_WORKER_ACCOUNT, // the worker's account id (public)
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string(), seatsLeft: z.number() } },
});
