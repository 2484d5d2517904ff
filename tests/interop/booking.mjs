// The documentation's booking with jazz-tools CoValues, shared by the interop tests
// in Node (scenario.mjs) and in workerd (tests/workerd-jazz/scenario.js): the Event
// and Ticket schemas, the route definition, and the handler. Imports only jazz-tools.
import { co, z, Group } from "jazz-tools";

export const Ticket = co.map({
  account: co.account(),
  get event() {
    return Event;
  },
});
export const Event = co.map({
  name: z.string(),
  capacity: z.number(),
  reservations: co.list(Ticket),
});

/** The route's options for either library's defineRequest. */
export const definition = (workerId, url) => ({
  url,
  workerId,
  request: { schema: { event: Event }, resolve: { event: { reservations: true } } },
  response: { schema: { ticket: Ticket }, resolve: { ticket: true } },
});

// The documentation's handler, in substance unchanged, for either library's JazzRequestError.
export const bookTicket = (worker, ErrorClass) => async ({ event }, madeBy) => {
  if (event.reservations.length >= event.capacity) throw new ErrorClass("Event is full", 400);
  const ticketGroup = Group.create(worker);
  const ticket = Ticket.create({ account: madeBy, event }, ticketGroup);
  ticketGroup.addMember(madeBy, "reader");
  event.reservations.$jazz.push(ticket);
  return { ticket };
};
