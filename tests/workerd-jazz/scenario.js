// The Worker of tests/workerd-jazz, without its first import: worker.js imports
// jazz-tools/load-edge-wasm and then this module; worker-no-loader.js imports this
// module alone, to show where jazz-tools stops in workerd without the loader.
//
// jazz-tools 0.20.19, jazzrpc/jazz (the jazz-tools path) and jazzrpc/cloudflare
// (the Durable Object replay guard) in one bundle made by wrangler. Inside a request
// (workerd forbids generating random values at the top level), jazz-tools/testing
// makes an in-process sync server and accounts; a real jazz-tools client route sends
// the documentation's booking to our handle(), given the jazz-tools worker Account
// and the Durable Object guard. Driven by jazz-workerd.test.mjs.
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { setupJazzTestSync, createJazzTestAccount } from "jazz-tools/testing";
import {
  z,
  Group,
  experimental_defineRequest as jazzDefineRequest,
  isJazzRequestError as isJazzToolsRequestError,
  JazzRequestError as JazzToolsRequestError,
} from "jazz-tools";
// The documentation's schemas, route and handler, shared with the Node interop tests.
import { Event, bookTicket, definition } from "../interop/booking.mjs";
import "jazzrpc/jazz"; // registers the jazz-tools path statically, so the bundle carries it
import { Account, experimental_defineRequest, JazzRequestError, durableObjectReplayGuard } from "jazzrpc/cloudflare";

export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

const OURS = "http://127.0.0.1/ours/book-event-ticket";
const JAZZ = "http://127.0.0.1/jazz/book-event-ticket";
const SHARDS = 2;

const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
/** An error's stack, and its causes' (jazz-tools wraps the runtime's error). */
const describe = (error) =>
  (error?.stack ? String(error.stack) : String(error)) + (error?.cause ? `\nCaused by: ${describe(error.cause)}` : "");
const responseOf = async (response) => ({
  status: response.status,
  jazzError: response.headers.get("X-Jazz-Request-Error"),
  replayed: response.headers.get("X-Jazz-Replayed"),
  body: await response.json(),
});
const post = (url, body) => new Request(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });

/**
 * Routes fetch to in-process servers by URL while fn runs; every other URL (cojson's
 * data: wasm URL, fetched when the edge loader is missing) goes to the runtime's fetch.
 */
async function withFetch(routes, fn) {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === "string" || input instanceof URL ? String(input) : input.url;
    const handler = routes[url];
    return handler ? handler(new Request(url, init)) : original(input, init);
  };
  try {
    return await fn();
  } finally {
    globalThis.fetch = original;
  }
}

/** A worker, three clients, and an event of capacity 2 the worker owns and anyone can read. */
async function setup() {
  await setupJazzTestSync();
  const worker = await createJazzTestAccount();
  const clients = [await createJazzTestAccount(), await createJazzTestAccount(), await createJazzTestAccount()];
  const eventGroup = Group.create(worker);
  eventGroup.makePublic("reader");
  const event = Event.create({ name: "Jazz night", capacity: 2, reservations: [] }, eventGroup);
  await event.$jazz.waitForSync();
  return { worker, clients, event };
}

async function tryBook(route, event, client) {
  const loaded = await Event.load(event.$jazz.id, { loadAs: client });
  try {
    const { ticket } = await route.send({ event: loaded }, { owner: client });
    return {
      ok: true,
      loaded: ticket.$isLoaded,
      ticketAccount: ticket.account?.$jazz.id,
      client: client.$jazz.id,
      ticketEvent: ticket.event?.$jazz.id,
      event: event.$jazz.id,
    };
  } catch (error) {
    return { ok: false, jazzToolsError: isJazzToolsRequestError(error), message: error?.message, code: error?.code };
  }
}

async function bookAll(route, { clients, event }) {
  const results = [];
  for (const client of clients) results.push(await tryBook(route, event, client));
  return results;
}

const reservationsOf = async ({ worker, event }) =>
  (await Event.load(event.$jazz.id, { loadAs: worker, resolve: { reservations: true } })).reservations.length;

const storedPerShard = (guard) => Promise.all(Array.from({ length: guard.shards }, (_, i) => guard.shard(i).stats().then((s) => s.stored)));

/** A real jazz-tools client books through our handle() (Durable Object guard), a body is replayed, the event fills. */
let firstWorker; // the worker of jazzClientToOurs, kept by this isolate for replayFromAnotherRequest
async function jazzClientToOurs(env) {
  const s = await setup();
  const { worker } = s;
  firstWorker = worker;
  const jazzClient = jazzDefineRequest(definition(worker.$jazz.id, OURS));
  const ours = experimental_defineRequest(definition(worker.$jazz.id, OURS));
  const replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD, { shards: SHARDS });
  const errors = [];
  const handle = (request) =>
    ours.handle(request, worker, bookTicket(worker, JazzRequestError), { replayGuard, onError: (e) => errors.push(describe(e)) });
  const bodies = [];
  const capture = async (request) => {
    bodies.push(await request.clone().text());
    return handle(request);
  };

  const storedBefore = await storedPerShard(replayGuard);
  const bookings = await withFetch({ [OURS]: capture }, () => bookAll(jazzClient, s));
  // The first client's body again, as anyone holding it could send it.
  const replay = await responseOf(await handle(post(OURS, bodies[0])));
  const storedAfter = await storedPerShard(replayGuard);
  return {
    crypto: worker.$jazz.localNode.crypto instanceof WasmCrypto ? "WasmCrypto" : String(worker.$jazz.localNode.crypto?.constructor?.name),
    bookings,
    replay,
    reservations: await reservationsOf(s),
    claimed: bodies.map((b) => JSON.parse(b).id),
    storedBefore,
    storedAfter,
    firstBody: bodies[0],
    errors,
  };
}

/** Our send() with jazz-tools Accounts against a real jazz-tools handle(), in workerd. */
async function ourClientToJazz() {
  const s = await setup();
  const ourClient = experimental_defineRequest(definition(s.worker.$jazz.id, JAZZ));
  const theirs = jazzDefineRequest(definition(s.worker.$jazz.id, JAZZ));
  const handle = (request) => theirs.handle(request, s.worker, bookTicket(s.worker, JazzToolsRequestError));
  const bookings = await withFetch({ [JAZZ]: handle }, () => bookAll(ourClient, s));
  return { bookings, reservations: await reservationsOf(s) };
}

/**
 * A body POSTed here goes to our handle() in another request, through a new route
 * object, with the same worker Account (kept by this isolate) and the same Durable
 * Object guard: a copy arriving in another request gets the answer the guard object stored.
 * (A new worker Account cannot even load a body addressed to another worker: it is
 * refused before the claim, "Value not found".)
 */
async function replayFromAnotherRequest(request, env) {
  if (!firstWorker) return Response.json({ message: "no /jazz-client-to-ours in this isolate" }, { status: 500 });
  const ours = experimental_defineRequest(definition(firstWorker.$jazz.id, OURS));
  return ours.handle(request, firstWorker, bookTicket(firstWorker, JazzRequestError), {
    replayGuard: durableObjectReplayGuard(env.REPLAY_GUARD, { shards: SHARDS }),
  });
}

// ---- a worker Account kept per isolate, as a deployed Worker keeps it ----------------
let perIsolate;
async function isolateSetup() {
  const s = await setup();
  perIsolate = {
    ...s,
    jazzClient: jazzDefineRequest(definition(s.worker.$jazz.id, OURS)),
    ours: experimental_defineRequest(definition(s.worker.$jazz.id, OURS)),
  };
  return { worker: s.worker.$jazz.id };
}
async function isolateBook(env, index) {
  if (!perIsolate) return { ok: false, message: "no /isolate-setup in this isolate" };
  const { worker, clients, event, jazzClient, ours } = perIsolate;
  const replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD, { shards: SHARDS });
  const handle = (request) => ours.handle(request, worker, bookTicket(worker, JazzRequestError), { replayGuard });
  const result = await withFetch({ [OURS]: handle }, () => tryBook(jazzClient, event, clients[index]));
  return { ...result, reservations: await reservationsOf(perIsolate) };
}

/** The plain-schema path (jazzrpc Accounts, zod shapes) in the same bundle, with the Durable Object guard. */
async function plainPath(env) {
  const worker = Account.create();
  const client = Account.create();
  const route = experimental_defineRequest({
    url: "/api/book-event-ticket",
    workerId: worker.id,
    request: { eventId: z.string() },
    response: { ticketId: z.string() },
  });
  const replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD, { shards: SHARDS });
  const handle = (request) => route.handle(request, worker, ({ eventId }, madeBy) => ({ ticketId: `${eventId}:${madeBy.id}` }), { replayGuard });
  let body;
  const fetch = async (url, init) => {
    body = init.body;
    return handle(new Request(new URL(url, "http://127.0.0.1"), init));
  };
  const { ticketId } = await route.send({ eventId: "jazz-night" }, { owner: client, fetch });
  const replay = await responseOf(await handle(post("http://127.0.0.1/api/book-event-ticket", body)));
  return { ticketId, expected: `jazz-night:${client.id}`, replay };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case "/jazz-client-to-ours":
          return json(await jazzClientToOurs(env));
        case "/our-client-to-jazz":
          return json(await ourClientToJazz());
        case "/replay":
          return await replayFromAnotherRequest(request, env);
        case "/isolate-setup":
          return json(await isolateSetup());
        case "/isolate-book":
          return json(await isolateBook(env, Number(url.searchParams.get("i"))));
        case "/plain":
          return json(await plainPath(env));
      }
      return json({ message: "Not found" }, 404);
    } catch (error) {
      return json({ failed: true, message: describe(error) }, 500);
    }
  },
};
