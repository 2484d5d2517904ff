// The documentation's scenario on Cloudflare Workers: clients book event tickets
// through a signed JazzRPC route, exactly once.
//
//  - The Worker (stateless, any number of instances) checks each request with the
//    wasm core (a bad body never reaches an object), then forwards it to the
//    event's object.
//  - EventDO: one Durable Object per event, the single instance the documentation's
//    note asks for. It handles the request itself with `exactlyOnce`: the request
//    id's claim, the reservation and the stored answer are committed in one SQLite
//    transaction of that object. A duplicate (a client whose response was lost,
//    retrying the same body) gets the stored answer, its own ticket; an object that
//    fails before the commit leaves nothing behind, and the retry books cleanly.
//
// Bindings (wrangler.jsonc): EVENT (EventDO), REPLAY_GUARD (ReplayGuardDurableObject,
// for routes whose handler lives outside an object; unused by this route), vars
// EVENTS and JAZZ_WORKER_ACCOUNT, and the secret JAZZ_WORKER_SECRET.
import { DurableObject } from "cloudflare:workers";
import { JazzRequestError, ReplayGuardDurableObject, exactlyOnce, startWorker } from "jazzrpc/cloudflare";
import { BOOK_EVENT_TICKET_URL, defineBookEventTicket } from "./bookEventTicket.js";

// The guard object's class must be exported by the Worker that binds it.
export { ReplayGuardDurableObject };

export class EventDO extends DurableObject {
  #once;
  #app = null;

  constructor(ctx, env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS reservation (
      seat INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL UNIQUE, account TEXT NOT NULL, booked_at INTEGER NOT NULL)`);
    this.#once = exactlyOnce(ctx); // the request ids' rows, in this object's SQLite
  }

  /** A booking request forwarded by the Worker: handled here, exactly once. */
  async fetch(request) {
    const { worker, bookEventTicket } = await (this.#app ??= appFor(this.env));
    return bookEventTicket.handle(request, worker, ({ eventId }, madeBy) => this.#book(eventId, madeBy.id), {
      exactlyOnce: this.#once,
      onError: (error) => console.error("bookEventTicket:", error),
    });
  }

  // Runs inside the transaction that also holds the claim and the answer: synchronous,
  // no await, so no other booking of this event runs between the count and the insert.
  #book(eventId, account) {
    const capacity = eventsOf(this.env)[eventId]?.capacity;
    if (!Number.isInteger(capacity)) throw new JazzRequestError("Event not found", 404, { eventId });
    const sql = this.ctx.storage.sql;
    const { taken } = sql.exec("SELECT COALESCE(MAX(seat), 0) AS taken FROM reservation").one();
    if (taken >= capacity) throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
    const seat = taken + 1;
    const ticketId = `${eventId}-${String(seat).padStart(3, "0")}-${crypto.randomUUID().slice(0, 8)}`;
    sql.exec("INSERT INTO reservation (seat, ticket_id, account, booked_at) VALUES (?, ?, ?, ?)", seat, ticketId, account, Date.now());
    return { ticketId, seatsLeft: capacity - seat };
  }

  /** Seats booked so far, and the request ids this object holds. */
  info() {
    const { booked } = this.ctx.storage.sql.exec("SELECT COUNT(*) AS booked FROM reservation").one();
    return { booked, requests: this.#once.stats() };
  }
}

// ---- the Worker -----------------------------------------------------------------

function eventsOf(env) {
  const events = typeof env.EVENTS === "string" ? JSON.parse(env.EVENTS) : env.EVENTS ?? {};
  return events;
}

let app = null; // per isolate: the worker account and the route, made once per secret

function appFor(env) {
  const secret = env.JAZZ_WORKER_SECRET;
  if (app?.secret === secret) return app.ready;
  const ready = startWorker({ env }).then(({ worker }) => ({ worker, bookEventTicket: defineBookEventTicket(worker.id) }));
  app = { secret, ready };
  ready.catch(() => {
    if (app?.ready === ready) app = null; // a configuration error is retried on the next request
  });
  return ready;
}

const json = (value, status = 200, jazzError = false) =>
  new Response(JSON.stringify(value, null, 2), {
    status,
    headers: { "Content-Type": "application/json", ...(jazzError ? { "X-Jazz-Request-Error": "true" } : {}) },
  });

const eventStub = (env, eventId) => env.EVENT.get(env.EVENT.idFromName(eventId));

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);

    if (pathname === BOOK_EVENT_TICKET_URL) {
      let bookEventTicket;
      try {
        ({ bookEventTicket } = await appFor(env));
      } catch (error) {
        console.error("worker configuration:", error);
        return json({ message: "The worker is not configured (JAZZ_WORKER_SECRET)", code: 500 }, 500);
      }
      // The body is checked here (as handle() would, without claiming it), so that only
      // a signed request for a known event reaches (and wakes) an event's object; the
      // object checks it again and decides.
      const checked = await bookEventTicket.verify(request.clone(), { onError: (error) => console.error("bookEventTicket:", error) });
      if (!checked.ok) return checked.response;
      const { eventId } = checked.value;
      if (!Number.isInteger(eventsOf(env)[eventId]?.capacity)) return json({ message: "Event not found", code: 404, details: { eventId } }, 404, true);
      return eventStub(env, eventId).fetch(request);
    }

    if (request.method === "GET" && pathname.startsWith("/api/events/")) {
      const eventId = decodeURIComponent(pathname.slice("/api/events/".length));
      const capacity = eventsOf(env)[eventId]?.capacity;
      if (!Number.isInteger(capacity)) return json({ message: "Event not found", code: 404 }, 404);
      const { booked, requests } = await eventStub(env, eventId).info();
      return json({ eventId, capacity, booked, seatsLeft: Math.max(0, capacity - booked), requests });
    }

    if (request.method === "GET" && pathname === "/") {
      let workerId = null;
      try {
        workerId = (await appFor(env)).worker.id;
      } catch {
        // reported when a booking is attempted
      }
      return json({
        workerId,
        events: eventsOf(env),
        book: `POST ${BOOK_EVENT_TICKET_URL}, a signed JazzRPC request (node workers-example/client.mjs)`,
      });
    }

    return json({ message: "Not found", code: 404 }, 404);
  },
};
