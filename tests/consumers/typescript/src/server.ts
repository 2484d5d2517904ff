// server.ts (Node): the handler's arguments are inferred from the request schema, and
// its result is checked against the response schema.
import { createServer } from "node:http";
import { JazzRequestError, startWorker, toNodeListener } from "jazzrpc/node";
import { bookEventTicket } from "./bookEventTicket.js";

const { worker } = await startWorker();

export const server = createServer(
  toNodeListener((request) =>
    bookEventTicket.handle(request, worker, async ({ eventId, seats }, madeBy) => {
      const id: string = eventId;
      const wanted: number | undefined = seats;
      const who: string = madeBy.id;
      // @ts-expect-error eventId is a string
      const wrong: number = eventId;
      void wrong;
      if (wanted === 0) throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
      return { ticketId: `${id}-${who}`, seatsLeft: 2 };
    }),
  ),
);

export const badHandler = (request: Request) =>
  // @ts-expect-error the handler must return the response schema's fields (ticketId is a string)
  bookEventTicket.handle(request, worker, async () => ({ ticketId: 1, seatsLeft: 2 }));
