// `tsc --noEmit -p tests/workerd/types`: jazzrpc/cloudflare's types, used as a Worker uses them.
import { durableObjectReplayGuard, ReplayGuardDurableObject, experimental_defineRequest, Account, core, type ReplayGuardNamespace } from "jazzrpc/cloudflare";
import { z } from "zod";

export { ReplayGuardDurableObject };

interface Env {
  REPLAY_GUARD: ReplayGuardNamespace;
  JAZZ_WORKER_SECRET: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const worker = Account.fromSecret(env.JAZZ_WORKER_SECRET);
    const route = experimental_defineRequest({
      url: "/api/book-event-ticket",
      workerId: worker.id,
      request: { schema: { eventId: z.string() } },
      response: { schema: { ticketId: z.string() } },
    });
    const replayGuard = durableObjectReplayGuard(env.REPLAY_GUARD, { shards: 4 });
    const shard: number = replayGuard.shardOf("co_zabc");
    const stats = await replayGuard.shard(shard).stats();
    const stored: number = stats.stored;
    // @ts-expect-error shards is a number
    durableObjectReplayGuard(env.REPLAY_GUARD, { shards: "4" });
    const first: boolean = await replayGuard.claim("co_zabc", Date.now() + 60_000);
    void [stored, first, core.base58Encode(new Uint8Array(1))];
    return route.handle(request, worker, async ({ eventId }) => ({ ticketId: `t-${eventId}` }), { replayGuard });
  },
};

class FastSweep extends ReplayGuardDurableObject {
  static override sweepDelayMs = 1_000;
}
void FastSweep;

import { exactlyOnce } from "jazzrpc/cloudflare";

export class EventDO {
  #once;
  constructor(private ctx: { storage: { sql: unknown; transactionSync<T>(fn: () => T): T } }) {
    this.#once = exactlyOnce(ctx);
  }
  handle(request: Request, worker: Account) {
    const route = experimental_defineRequest({
      url: "/api/book",
      workerId: worker.id,
      request: { schema: { eventId: z.string() } },
      response: { schema: { ticketId: z.string() } },
    });
    return route.handle(request, worker, ({ eventId }) => ({ ticketId: eventId }), { exactlyOnce: this.#once, duplicates: "replay" });
  }
}
