// Verifies one route's requests with the Durable Object guard: every part of the glue a Worker uses.
import { Account, experimental_defineRequest, durableObjectReplayGuard } from "jazzrpc/cloudflare";
export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

const anything = { "~standard": { version: 1, vendor: "none", validate: (value) => ({ value }) } };

export default {
  async fetch(request, env) {
    const worker = Account.fromSecret(env.JAZZ_WORKER_SECRET);
    const route = experimental_defineRequest({ url: "/api/echo", workerId: worker.id, request: anything, response: anything });
    return route.handle(request, worker, (value) => value, { replayGuard: durableObjectReplayGuard(env.REPLAY_GUARD) });
  },
};
