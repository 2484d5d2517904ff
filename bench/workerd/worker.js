// The bench's Worker: the documentation's route with plain (zod) schemas, handled
// by jazzrpc in workerd, each request id claimed at the Durable Object replay guard.
// Its handler does no work of its own, so the figure is jazzrpc's (and workerd's).
import { ReplayGuardDurableObject, durableObjectReplayGuard, experimental_defineRequest, startWorker } from "jazzrpc/cloudflare";
import { z } from "zod";

export { ReplayGuardDurableObject };

let app = null;

function appFor(env) {
  app ??= startWorker({
    accountSecret: env.JAZZ_WORKER_SECRET,
    replayGuard: durableObjectReplayGuard(env.REPLAY_GUARD, { shards: Number(env.REPLAY_GUARD_SHARDS ?? 1) }),
  }).then(({ worker }) => ({
    worker,
    route: experimental_defineRequest({
      url: "/api/book-event-ticket",
      workerId: worker.id,
      request: { schema: { eventId: z.string() } },
      response: { schema: { ticketId: z.string() } },
    }),
  }));
  return app;
}

export default {
  async fetch(request, env) {
    const { worker, route } = await appFor(env);
    return route.handle(request, worker, async ({ eventId }) => ({ ticketId: `ticket-${eventId}` }));
  },
};
