// events.js: the handler, with seats enough for every valid request the suite sends.
let seatsLeft = 1_000_000;

export async function bookTicket({ eventId }, madeBy) {
  seatsLeft -= 1;
  return { ticketId: `${eventId}-${seatsLeft}-${madeBy.id.slice(-6)}`, seatsLeft };
}
