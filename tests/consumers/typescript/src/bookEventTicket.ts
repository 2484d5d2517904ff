// bookEventTicket.ts: the route, shared by server and clients (from "jazzrpc": any runtime).
import { experimental_defineRequest } from "jazzrpc";
import { z } from "zod";
import * as v from "valibot";

export const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: "co_zWorkerAccountId",
  request: { schema: { eventId: z.string(), seats: z.number().optional() } },
  response: { schema: { ticketId: z.string(), seatsLeft: z.number() } },
});

// valibot works the same (any Standard Schema)
export const echo = experimental_defineRequest({
  url: "/api/echo",
  workerId: "co_zWorkerAccountId",
  request: { schema: { text: v.string() } },
  response: { schema: { echoed: v.string() } },
});
