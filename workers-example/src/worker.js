// The documentation's scenario on Cloudflare Workers: clients book event tickets
// through a signed JazzRPC route.
//
//  - The Worker (stateless, any number of instances) verifies each request with the
//    wasm core, claims its id at the replay guard (one RPC to the one
//    ReplayGuardDurableObject that owns the id), then calls the event's object.
//  - EventDO: one Durable Object per event, the single instance the documentation's
//    note asks for. It holds the event's capacity and its reservations in SQLite,
//    and a booking is one synchronous step in it, so the capacity holds exactly
//    however many Worker instances book at once.
//
// Bindings (wrangler.jsonc): EVENT (EventDO), REPLAY_GUARD (ReplayGuardDurableObject),
// vars EVENTS and REPLAY_GUARD_SHARDS, and the secret JAZZ_WORKER_SECRET.
import { DurableObject } from "cloudflare:workers";
import { JazzRequestError, ReplayGuardDurableObject, durableObjectReplayGuard, startWorker } from "jazzrpc/cloudflare";
import { BOOK_EVENT_TICKET_URL, defineBookEventTicket } from "./bookEventTicket.js";

// The replay guard's class must be exported by the Worker that binds it.
export { ReplayGuardDurableObject };

export class EventDO extends DurableObject {
  #capacity = null;

  constructor(ctx, env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS event (
      one INTEGER PRIMARY KEY CHECK (one = 1), event_id TEXT NOT NULL, capacity INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS reservation (
      seat INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL UNIQUE, account TEXT NOT NULL, booked_at INTEGER NOT NULL)`);
    this.#capacity = sql.exec("SELECT capacity FROM event").toArray()[0]?.capacity ?? null;
  }

  /**
   * Books the next seat for `account`, or answers { full: true }. No await inside:
   * no other call to this object runs between the count and the insert.
   * @param {{ eventId: string, capacity: number, account: string }} booking
   */
  book({ eventId, capacity, account }) {
    const sql = this.ctx.storage.sql;
    if (capacity !== this.#capacity) {
      // The event's capacity comes from the Worker's configuration (EVENTS) and is kept here.
      sql.exec("INSERT OR REPLACE INTO event (one, event_id, capacity) VALUES (1, ?, ?)", eventId, capacity);
      this.#capacity = capacity;
    }
    const { taken } = sql.exec("SELECT COALESCE(MAX(seat), 0) AS taken FROM reservation").one();
    if (taken >= this.#capacity) return { full: true, seatsLeft: 0 };
    const seat = taken + 1;
    const ticketId = `${eventId}-${String(seat).padStart(3, "0")}-${crypto.randomUUID().slice(0, 8)}`;
    sql.exec("INSERT INTO reservation (seat, ticket_id, account, booked_at) VALUES (?, ?, ?, ?)", seat, ticketId, account, Date.now());
    return { full: false, ticketId, seatsLeft: this.#capacity - seat };
  }

  /** Seats booked so far, and the capacity this object holds (null before the first booking). */
  info() {
    const { booked } = this.ctx.storage.sql.exec("SELECT COUNT(*) AS booked FROM reservation").one();
    return { capacity: this.#capacity, booked };
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
  const replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD, { shards: Number(env.REPLAY_GUARD_SHARDS ?? 1) });
  const ready = startWorker({ accountID: env.JAZZ_WORKER_ACCOUNT || undefined, accountSecret: secret, replayGuard }).then(
    ({ worker }) => ({ worker, bookEventTicket: defineBookEventTicket(worker.id) }),
  );
  app = { secret, ready };
  ready.catch(() => {
    if (app?.ready === ready) app = null; // a configuration error is retried on the next request
  });
  return ready;
}

const json = (value, status = 200) =>
  new Response(JSON.stringify(value, null, 2), { status, headers: { "Content-Type": "application/json" } });

const eventStub = (env, eventId) => env.EVENT.get(env.EVENT.idFromName(eventId));

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);

    if (pathname === BOOK_EVENT_TICKET_URL) {
      let worker, bookEventTicket;
      try {
        ({ worker, bookEventTicket } = await appFor(env));
      } catch (error) {
        console.error("worker configuration:", error);
        return json({ message: "The worker is not configured (JAZZ_WORKER_SECRET)", code: 500 }, 500);
      }
      return bookEventTicket.handle(
        request,
        worker,
        async ({ eventId }, madeBy) => {
          const capacity = eventsOf(env)[eventId]?.capacity;
          if (!Number.isInteger(capacity)) throw new JazzRequestError("Event not found", 404, { eventId });
          const result = await eventStub(env, eventId).book({ eventId, capacity, account: madeBy.id });
          if (result.full) throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
          return { ticketId: result.ticketId, seatsLeft: result.seatsLeft };
        },
        { onError: (error) => console.error("bookEventTicket:", error) },
      );
    }

    if (request.method === "GET" && pathname.startsWith("/api/events/")) {
      const eventId = decodeURIComponent(pathname.slice("/api/events/".length));
      const capacity = eventsOf(env)[eventId]?.capacity;
      if (!Number.isInteger(capacity)) return json({ message: "Event not found", code: 404 }, 404);
      const { booked } = await eventStub(env, eventId).info();
      return json({ eventId, capacity, booked, seatsLeft: Math.max(0, capacity - booked) });
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
