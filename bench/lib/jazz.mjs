// jazz-tools 0.20.19 as a peer: a worker and a client account on jazz-tools'
// in-process test sync server, the documentation's route (book an event ticket),
// and real request bodies captured from its send().
//
// send() posts with the global fetch; we replace fetch with one that keeps the
// body of requests to BENCH_ORIGIN and answers 599, and passes every other URL
// through (cojson-core-wasm loads its wasm with fetch on a data: URL).
import { experimental_defineRequest, z } from "jazz-tools";
import { createJazzTestAccount, setupJazzTestSync } from "jazz-tools/testing";

export const BENCH_ORIGIN = "http://bench.invalid";
export const PATH = "/api/book-event-ticket";
export const URL_ = BENCH_ORIGIN + PATH;

let captured = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : (input?.url ?? String(input));
  if (!url.startsWith(BENCH_ORIGIN + "/")) return realFetch(input, init);
  captured.push(init.body);
  return new Response("captured by the bench", { status: 599 });
};

/** A sync server, a worker account, a client account and the route. */
export async function setupJazz() {
  await setupJazzTestSync();
  const worker = await createJazzTestAccount();
  const client = await createJazzTestAccount({ isCurrentActiveAccount: true });
  const route = experimental_defineRequest({
    url: URL_,
    workerId: worker.$jazz.id,
    request: { schema: { eventId: z.string() } },
    response: { schema: { ticketId: z.string() } },
  });
  /** `count` real request bodies (JSON text), made by the client's send(). */
  const makeBodies = async (count, from = 0) => {
    captured = [];
    for (let i = 0; i < count; i++) {
      await route.send({ eventId: `event-${from + i}` }, { owner: client }).catch((error) => {
        if (error?.code !== 599) throw error;
      });
    }
    const bodies = captured;
    captured = [];
    if (bodies.length !== count) throw new Error(`captured ${bodies.length} bodies, expected ${count}`);
    return bodies;
  };
  return { worker, client, route, makeBodies };
}

/** jazz-tools warns once about its validation mode; the bench's output stays clean. */
export function quietJazzWarnings() {
  const warn = console.warn;
  console.warn = (...args) => {
    if (typeof args[0] === "string" && args[0].startsWith("Validation mode")) return;
    warn(...args);
  };
  const log = console.log;
  console.log = (...args) => {
    if (typeof args[0] === "string" && args[0].startsWith("Validation mode")) return;
    log(...args);
  };
}
