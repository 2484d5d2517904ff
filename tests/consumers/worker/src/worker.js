// src/worker.js: a Worker that books through jazzrpc. The Durable Object guard is the one
// authority for the ids already handled, across every instance of the Worker.
import {
  JazzRequestError,
  ReplayGuardDurableObject,
  durableObjectReplayGuard,
  experimental_defineRequest,
  startWorker,
} from "jazzrpc/cloudflare";
import { z } from "zod";

export { ReplayGuardDurableObject }; // the Worker that binds the class exports it

const bookEventTicket = (workerId) =>
  experimental_defineRequest({
    url: "/api/book",
    workerId,
    request: { schema: { eventId: z.string() } },
    response: { schema: { ticketId: z.string() } },
  });

let booked = 0; // the handler's runs in this instance (GET /api/booked)

export default {
  async fetch(request, env) {
    if (request.method === "GET") return Response.json({ booked });
    const { worker } = await startWorker({ accountID: env.JAZZ_WORKER_ACCOUNT, accountSecret: env.JAZZ_WORKER_SECRET });
    const replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD);
    return bookEventTicket(worker.id).handle(
      request,
      worker,
      async ({ eventId }, madeBy) => {
        if (eventId === "sold-out") throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
        booked += 1;
        return { ticketId: `${eventId}-${booked}-${madeBy.id.slice(-6)}` };
      },
      { replayGuard },
    );
  },
};
