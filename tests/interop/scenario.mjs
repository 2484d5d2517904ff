// The documentation's scenario with jazz-tools CoValues, shared by the interop tests:
// Event and Ticket schemas, a worker, clients, and both servers over one worker
// account: jazz-tools' own handle() and ours.
import { setupJazzTestSync, createJazzTestAccount } from "jazz-tools/testing";
import { Group, experimental_defineRequest as jazzDefineRequest, JazzRequestError as JazzToolsRequestError } from "jazz-tools";
import { experimental_defineRequest, JazzRequestError, MemoryReplayGuard } from "jazzrpc/node";
import { Event, bookTicket, definition } from "./booking.mjs";

export { Event } from "./booking.mjs";

export async function setup() {
  await setupJazzTestSync();
  const worker = await createJazzTestAccount();
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(await createJazzTestAccount());
  const eventGroup = Group.create(worker);
  eventGroup.makePublic("reader");
  // An event the worker owns and everyone can read; each test books its own.
  const createEvent = async (capacity) => {
    const event = Event.create({ name: "Jazz night", capacity, reservations: [] }, eventGroup);
    await event.$jazz.waitForSync();
    return event;
  };

  // Four routes: each library's defineRequest, pointed at each library's server.
  const OURS = "http://127.0.0.1/ours/book-event-ticket";
  const JAZZ = "http://127.0.0.1/jazz/book-event-ticket";
  const routes = {
    ourClient: { toOurs: experimental_defineRequest(definition(worker.$jazz.id, OURS)), toJazz: experimental_defineRequest(definition(worker.$jazz.id, JAZZ)) },
    jazzClient: { toOurs: jazzDefineRequest(definition(worker.$jazz.id, OURS)), toJazz: jazzDefineRequest(definition(worker.$jazz.id, JAZZ)) },
  };
  const guard = new MemoryReplayGuard();
  const errors = [];
  const oursHandle = (request) =>
    routes.ourClient.toOurs.handle(request, worker, bookTicket(worker, JazzRequestError), {
      replayGuard: guard,
      onError: (e) => (errors.push(e), process.env.JAZZRPC_DEBUG && console.error(e)),
    });
  // jazz-tools' handle() rejects on some bad bodies instead of answering: record that.
  const theirsHandle = async (request) => {
    try {
      return await routes.jazzClient.toJazz.handle(request, worker, bookTicket(worker, JazzToolsRequestError));
    } catch (error) {
      return { rejected: error };
    }
  };
  return { worker, clients, createEvent, routes, oursHandle, theirsHandle, errors, guard, OURS, JAZZ };
}

/** Routes fetch to the in-process servers by path; other URLs (cojson's data: wasm) pass through. */
export function installFetch(routes) {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const handler = url.protocol === "http:" && url.hostname === "127.0.0.1" ? routes[url.pathname] : undefined;
    if (!handler) return original(input, init);
    const response = await handler(new Request(url, init));
    if (response.rejected) throw response.rejected;
    return response;
  };
  return () => (globalThis.fetch = original);
}
