// The bench's Worker: the documentation's route with plain (zod) schemas, handled by
// jazzrpc in workerd. Its handler does no work of its own, so each figure is jazzrpc's
// (and workerd's). The var BENCH_VARIANT picks what a request goes through:
//
//   noGuard   the route, each id claimed at a MemoryReplayGuard held by this isolate:
//             jazzrpc's verify + sign (and an in-memory claim), no Durable Object
//   doGuard   the route, each id claimed at the ReplayGuardDurableObject through
//             durableObjectReplayGuard (the default: what handle-workerd.mjs measured before)
//   inObject  as docs/cloudflare.md's whole program: the Worker checks the request
//             (route.verify), then forwards it to the Durable Object that owns the
//             handler's state, which handles it with exactlyOnce (claim, handler and
//             stored answer in one transactionSync of its SQLite). Every request goes
//             to one object, as the bookings of one event would.
//
// The constant-200 Worker (workerd, Miniflare and loopback HTTP alone) is empty.js.
import { DurableObject } from "cloudflare:workers";
import { MemoryReplayGuard, ReplayGuardDurableObject, durableObjectReplayGuard, exactlyOnce, experimental_defineRequest, startWorker } from "jazzrpc/cloudflare";
import { z } from "zod";

export { ReplayGuardDurableObject };

const defineRoute = (workerId) =>
  experimental_defineRequest({
    url: "/api/book-event-ticket",
    workerId,
    request: { schema: { eventId: z.string() } },
    response: { schema: { ticketId: z.string() } },
  });

// Synchronous, so that it also runs inside exactlyOnce's transaction.
const handler = ({ eventId }) => ({ ticketId: `ticket-${eventId}` });

const variantOf = (env) => env.BENCH_VARIANT ?? "doGuard";

let app = null; // per isolate: the worker account, the route and the guard, made once

function appFor(env) {
  app ??= startWorker({ accountSecret: env.JAZZ_WORKER_SECRET }).then(({ worker }) => {
    const variant = variantOf(env);
    let replayGuard;
    if (variant === "noGuard") replayGuard = new MemoryReplayGuard();
    if (variant === "doGuard") replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD, { shards: Number(env.REPLAY_GUARD_SHARDS ?? 1) });
    return { worker, route: defineRoute(worker.id), options: replayGuard ? { replayGuard } : undefined };
  });
  return app;
}

/** The object that owns the handler's state: it handles each request with exactlyOnce. */
export class BenchEventDO extends DurableObject {
  #once;
  #app = null;
  constructor(ctx, env) {
    super(ctx, env);
    this.#once = exactlyOnce(ctx);
  }
  async fetch(request) {
    const { worker, route } = await (this.#app ??= startWorker({ accountSecret: this.env.JAZZ_WORKER_SECRET }).then(({ worker }) => ({ worker, route: defineRoute(worker.id) })));
    return route.handle(request, worker, handler, { exactlyOnce: this.#once });
  }
}

export default {
  async fetch(request, env) {
    const { worker, route, options } = await appFor(env);
    if (variantOf(env) === "inObject") {
      const checked = await route.verify(request.clone()); // a bad body never wakes the object
      if (!checked.ok) return checked.response;
      return env.EVENT.get(env.EVENT.idFromName("bench-event")).fetch(request);
    }
    return route.handle(request, worker, handler, options);
  },
};
