// worker/src/worker.js: the README's Worker (toFetchHandler, the Durable Object guard).
import { durableObjectReplayGuard, toFetchHandler } from "jazzrpc/cloudflare";
import { bookEventTicket } from "../../route.js";
import { bookTicket } from "../../events.js";

export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

export default {
  fetch: toFetchHandler(bookEventTicket, bookTicket, {
    replayGuard: (env) => durableObjectReplayGuard(env.REPLAY_GUARD),
  }),
};
