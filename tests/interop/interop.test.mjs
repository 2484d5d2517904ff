// Wire compatibility with jazz-tools 0.20.19: a real jazz-tools client against our
// handle(), our send() against a real jazz-tools handle(), and the documentation's
// example (Event, Ticket, Group, addMember, reservations.$jazz.push, Event is full)
// running in substance unchanged against ours.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import "jazzrpc/jazz";
import { isJazzRequestError } from "jazzrpc/node";
import { setup, installFetch, Event } from "./scenario.mjs";

let s;
let restoreFetch;
before(async () => {
  s = await setup();
  restoreFetch = installFetch({ "/ours/book-event-ticket": s.oursHandle, "/jazz/book-event-ticket": s.theirsHandle });
});
after(() => restoreFetch?.());

const loadEventAs = (event, client) => Event.load(event.$jazz.id, { loadAs: client });
const isFullError = (error) => {
  assert.ok(isJazzRequestError(error));
  assert.equal(error.message, "Event is full");
  assert.equal(error.code, 400);
  return true;
};

// Books with each client in turn on a new event of capacity 2: two tickets, then Event is full.
async function bookUntilFull(route) {
  const event = await s.createEvent(2);
  const [alice, bob, carol] = s.clients;
  for (const client of [alice, bob]) {
    const { ticket } = await route.send({ event: await loadEventAs(event, client) }, { owner: client });
    assert.ok(ticket.$isLoaded, "the response's ticket arrives loaded");
    assert.equal(ticket.account.$jazz.id, client.$jazz.id, "madeBy was the client's jazz-tools account");
    assert.equal(ticket.event.$jazz.id, event.$jazz.id);
  }
  await assert.rejects(route.send({ event: await loadEventAs(event, carol) }, { owner: carol }), isFullError);
  const booked = await Event.load(event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } });
  assert.equal(booked.reservations.length, 2);
  assert.deepEqual(s.errors, []);
}

test("a real jazz-tools client books through our handle() until the event is full", () =>
  bookUntilFull(s.routes.jazzClient.toOurs));

test("our send() with a jazz-tools Account books through a real jazz-tools handle()", () =>
  bookUntilFull(s.routes.ourClient.toJazz));

test("our send() and our handle(), both with jazz-tools Accounts", () => bookUntilFull(s.routes.ourClient.toOurs));

test("control: jazz-tools against itself, the same scenario", () => bookUntilFull(s.routes.jazzClient.toJazz));
