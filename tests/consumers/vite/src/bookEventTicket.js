// src/bookEventTicket.js: the README's route for a page, whose workerId is a constant of the
// build (Vite puts VITE_* variables of the environment in import.meta.env at `vite build`).
import { experimental_defineRequest } from "jazzrpc";
import { z } from "zod";

export const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: import.meta.env.VITE_WORKER_ACCOUNT, // the worker's account id (public)
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string(), seatsLeft: z.number() } },
});
