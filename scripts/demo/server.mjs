// The event-booking server: node:http on 127.0.0.1, one route, events with a capacity.
// Run alone: JAZZ_WORKER_SECRET=signerSecret_z… node scripts/demo/server.mjs [port]
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { JazzRequestError, startWorker, toNodeListener } from "../../js-glue/src/entries/node.js";
import { defineBookEventTicket } from "./bookEventTicket.mjs";

export async function createBookingServer({ accountSecret, events }) {
  const { worker } = await startWorker({ accountSecret });
  const bookEventTicket = defineBookEventTicket(worker.id);
  const handled = [];
  const listener = toNodeListener((request) =>
    bookEventTicket.handle(
      request,
      worker,
      async ({ eventId }, madeBy) => {
        const event = events.get(eventId);
        if (!event) throw new JazzRequestError("Event not found", 404, { eventId });
        // One process holds the events: the capacity check and the push are one step.
        if (event.reservations.length >= event.capacity) {
          throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
        }
        const ticketId = `ticket-${eventId}-${event.reservations.length + 1}`;
        event.reservations.push({ ticketId, account: madeBy.id });
        handled.push(ticketId);
        return { ticketId, seatsLeft: event.capacity - event.reservations.length };
      },
      { onError: (error) => console.error("handler error:", error) },
    ),
  );
  return { server: createServer(listener), worker, handled };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { Account } = await import("../../js-glue/src/entries/node.js");
  const accountSecret = process.env.JAZZ_WORKER_SECRET ?? Account.create().secret;
  const events = new Map([["jazz-night", { capacity: 3, reservations: [] }]]);
  const { server, worker } = await createBookingServer({ accountSecret, events });
  server.listen(Number(process.argv[2] ?? 8787), "127.0.0.1", () =>
    console.log(`booking server for worker ${worker.id} on http://127.0.0.1:${server.address().port}`),
  );
}
