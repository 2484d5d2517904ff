// Issue 11, a lossy network: a proxy on 127.0.0.1 forwards every request to a
// node:http server (route.handle(), the default MemoryReplayGuard) and drops 20% of
// the responses after the server answered (seeded per client and attempt, so every
// run drops the same ones). 200 clients book an event of 150 seats concurrently with
// send(), retries on. Every client ends with exactly one outcome (a ticket or "Event
// is full"), the event holds exactly min(capacity, clients) bookings, the handler
// runs once per request id, and nobody sees "already handled". With duplicates:
// "reject", the same drops reproduce the old problem: booked, but told "already handled".
import { test } from "node:test";
import assert from "node:assert/strict";
import { Account, ALREADY_HANDLED, JazzRequestError } from "../../../js-glue/src/entries/node.js";
import { bookingRoute, isDropped, startBookingServer, startLossyProxy } from "./lossy-net.mjs";

const RATE = 0.2;
const RETRY = { attempts: 10, baseDelayMs: 20, maxDelayMs: 200 };

/** Drops the proxy will make for `clients` whose every answered attempt ends them: leading drops per client. */
function expectedDrops(seed, clients) {
  let drops = 0;
  for (let i = 0; i < clients; i++) for (let k = 1; isDropped(seed, RATE, String(i), k); k++) drops++;
  return drops;
}

/** Runs `clients` concurrent send()s through a lossy proxy in front of a booking server. */
async function bookThroughLossyProxy({ seed, clients, capacity, handleOptions }) {
  const worker = Account.create();
  const server = await startBookingServer({ worker, capacity, handleOptions });
  const proxy = await startLossyProxy({ targetPort: server.port, seed, rate: RATE });
  try {
    const route = bookingRoute(worker);
    const accounts = Array.from({ length: clients }, () => Account.create());
    const started = Date.now();
    const outcomes = await Promise.all(
      accounts.map((owner, i) =>
        route
          .send({ eventId: "concert" }, { owner, baseUrl: `http://127.0.0.1:${proxy.port}`, headers: { "X-Client": String(i) }, retry: RETRY })
          .then((value) => ({ i, account: owner.id, value }), (error) => ({ i, account: owner.id, error })),
      ),
    );
    return { outcomes, accounts, server, log: proxy.log, ms: Date.now() - started };
  } finally {
    await proxy.stop();
    await server.stop();
  }
}

const describe = (o) => (o.error ? `${o.error.name} ${o.error.code} ${o.error.message}` : JSON.stringify(o.value));

test("lossy network, duplicates: replay (the default): 200 clients, 150 seats, 20% of responses dropped: one outcome each, 150 bookings, the handler once per id, never 'already handled'", { timeout: 60_000 }, async (t) => {
  const SEED = 11;
  const CLIENTS = 200;
  const CAPACITY = 150;
  const seats = Math.min(CAPACITY, CLIENTS);
  const { outcomes, accounts, server, log, ms } = await bookThroughLossyProxy({ seed: SEED, clients: CLIENTS, capacity: CAPACITY });

  // Every client: exactly one outcome, a ticket or "Event is full".
  const tickets = outcomes.filter((o) => !o.error);
  const full = outcomes.filter((o) => o.error);
  for (const o of full) {
    assert.ok(o.error instanceof JazzRequestError, `client ${o.i}: ${describe(o)}`);
    assert.notEqual(o.error.message, ALREADY_HANDLED.message, `client ${o.i} was told "already handled"`);
    assert.equal(o.error.code, 400, `client ${o.i}: ${describe(o)}`);
    assert.equal(o.error.message, "Event is full", `client ${o.i}: ${describe(o)}`);
  }
  assert.equal(tickets.length, seats, "a ticket for min(capacity, clients)");
  assert.equal(full.length, CLIENTS - seats, "the rest: Event is full");
  assert.equal(new Set(tickets.map((o) => o.value.ticketId)).size, seats, "distinct tickets");

  // The event: exactly min(capacity, clients) bookings, one per ticket holder.
  assert.equal(server.bookings.length, seats);
  assert.equal(new Set(server.bookings).size, seats, "one booking per account");
  assert.deepEqual(new Set(server.bookings), new Set(tickets.map((o) => o.account)), "the booked accounts are the ticket holders");
  for (const o of tickets) {
    const seat = server.bookings.indexOf(o.account) + 1;
    assert.equal(o.value.ticketId, `concert-seat-${seat}`, `client ${o.i} holds the ticket of its own booking`);
  }

  // The handler ran exactly once per request id (each client signed one body).
  const idsByClient = new Map();
  for (const e of log) (idsByClient.get(e.client) ?? idsByClient.set(e.client, new Set()).get(e.client)).add(e.id);
  assert.equal(idsByClient.size, CLIENTS);
  for (const [client, ids] of idsByClient) assert.equal(ids.size, 1, `client ${client} retried the very same body`);
  assert.equal(new Set(log.map((e) => e.id)).size, CLIENTS);
  for (const [i, owner] of accounts.entries()) assert.equal(server.runs.get(owner.id), 1, `handler runs for client ${i}`);

  // What the proxy saw: no "already handled", no 409 (every drop came after the
  // answer was stored), every retry answered with the stored answer.
  assert.ok(log.every((e) => !e.text?.includes(ALREADY_HANDLED.message)), "no answer said 'already handled'");
  const drops = log.filter((e) => e.dropped).length;
  const retries = log.length - CLIENTS;
  const replays = log.filter((e) => e.replayed).length;
  const replayedDropped = log.filter((e) => e.replayed && e.dropped).length;
  const conflicts = log.filter((e) => e.status === 409).length;
  const fullReplays = log.filter((e) => e.replayed && e.status === 400).length;
  t.diagnostic(`clients ${CLIENTS}, seats ${CAPACITY}: ${tickets.length} tickets, ${full.length} "Event is full" in ${ms} ms`);
  t.diagnostic(`proxy: ${log.length} requests, ${drops} responses dropped (${replayedDropped} of them replays), ${retries} retries, ${replays} answered with X-Jazz-Replayed (${fullReplays} of them "Event is full"), ${conflicts} answered 409`);
  assert.equal(drops, expectedDrops(SEED, CLIENTS), "the seeded drops");
  assert.ok(drops > 0 && fullReplays > 0, "the seed drops answers, among them an 'Event is full'");
  assert.equal(conflicts, 0);
  assert.equal(retries, drops, "one retry per dropped answer");
  assert.equal(replays, retries, "every retry got the stored answer");
  for (const e of log.filter((x) => x.replayed)) {
    const first = log.find((x) => x.client === e.client && x.attempt === 1);
    assert.equal(e.text, first.text, `client ${e.client}: the replay is the first answer, byte for byte`);
    assert.equal(e.status, first.status);
  }
});

test("lossy network, duplicates: 'reject' reproduces the old problem: a client whose answer was dropped is told 'already handled' although it booked", { timeout: 60_000 }, async (t) => {
  const SEED = 7;
  const CLIENTS = 40;
  const CAPACITY = 1000;
  const lost = new Set(Array.from({ length: CLIENTS }, (_, i) => i).filter((i) => isDropped(SEED, RATE, String(i), 1)));
  assert.ok(lost.size >= 1, "the seed drops some first answers");
  const { outcomes, server, log, ms } = await bookThroughLossyProxy({ seed: SEED, clients: CLIENTS, capacity: CAPACITY, handleOptions: { duplicates: "reject" } });

  const rejected = outcomes.filter((o) => o.error);
  for (const o of rejected) {
    assert.ok(o.error instanceof JazzRequestError, describe(o));
    assert.equal(o.error.code, 400, describe(o));
    assert.equal(o.error.message, ALREADY_HANDLED.message, describe(o));
  }
  assert.deepEqual(new Set(rejected.map((o) => o.i)), lost, "exactly the clients whose first answer was dropped");
  for (const o of rejected) assert.ok(server.bookings.includes(o.account), `client ${o.i} was told "already handled", yet its booking happened`);
  assert.equal(server.bookings.length, CLIENTS, "every client booked once");
  for (const o of outcomes) assert.equal(server.runs.get(o.account), 1);
  assert.equal(log.filter((e) => e.replayed).length, 0, "nothing is replayed");
  t.diagnostic(`${CLIENTS} clients in ${ms} ms: ${rejected.length} booked but told "${ALREADY_HANDLED.message}"; ${log.filter((e) => e.dropped).length} responses dropped`);
});
