// events.js: the server's handler. It books a seat, or refuses when the event is full.
import { JazzRequestError } from "jazzrpc";

const seatsLeft = new Map([
  ["jazz-night", 3],
  ["sold-out", 0],
]);

export async function bookTicket({ eventId }, madeBy) {
  const left = seatsLeft.get(eventId) ?? 0;
  if (left === 0) throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
  seatsLeft.set(eventId, left - 1);
  return { ticketId: `${eventId}-${left}-${madeBy.id.slice(-6)}`, seatsLeft: left - 1 };
}
