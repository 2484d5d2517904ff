// route.js: the route every server of the hostile suite serves. The same shape as the
// README's bookEventTicket.js, with a short body deadline, so that a slow body is
// answered (408) within the suite's time.
import { experimental_defineRequest } from "jazzrpc";
import { z } from "zod";

export const BODY_TIMEOUT_MS = 1000;

export const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: process.env.JAZZ_WORKER_ACCOUNT, // the worker's account id (public)
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string(), seatsLeft: z.number() } },
  options: { bodyTimeoutMs: BODY_TIMEOUT_MS },
});
