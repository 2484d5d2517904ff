// Wire compatibility with jazz-tools 0.20.19: a real jazz-tools client against our
// handle(), our send() against a real jazz-tools handle(), and the documentation's
// example (Event, Ticket, Group, addMember, reservations.$jazz.push, Event is full)
// running in substance unchanged against ours.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { isJazzRequestError } from "jazzrpc/node";
import { setup, installFetch, Event } from "./scenario.mjs";

let s;
let restoreFetch;
before(async () => {
  s = await setup({ capacity: 2 });
  restoreFetch = installFetch({ "/ours/book-event-ticket": s.oursHandle, "/jazz/book-event-ticket": s.theirsHandle });
});
after(() => restoreFetch?.());

const loadEventAs = (client) => Event.load(s.event.$jazz.id, { loadAs: client });

test("a real jazz-tools client books through our handle() until the event is full", async () => {
  const [alice, bob, carol] = s.clients;
  for (const client of [alice, bob]) {
    const { ticket } = await s.routes.jazzClient.toOurs.send({ event: await loadEventAs(client) }, { owner: client });
    assert.ok(ticket.$isLoaded, "the response's ticket arrives loaded");
    assert.equal(ticket.account.$jazz.id, client.$jazz.id, "madeBy was the jazz-tools client account");
    assert.equal(ticket.event.$jazz.id, s.event.$jazz.id);
  }
  await assert.rejects(s.routes.jazzClient.toOurs.send({ event: await loadEventAs(carol) }, { owner: carol }), (error) => {
    assert.ok(isJazzRequestError(error));
    assert.equal(error.message, "Event is full");
    assert.equal(error.code, 400);
    return true;
  });
  const event = await Event.load(s.event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } });
  assert.equal(event.reservations.length, 2);
  assert.deepEqual(s.errors, []);
});
