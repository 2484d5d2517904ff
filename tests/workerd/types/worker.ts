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

// Leases, kept answers and lookups (issue 15), the skew margin (issue 17.2).
export async function lifeOfAnId(env: Env) {
  const guard = durableObjectReplayGuard(env.REPLAY_GUARD, { skewMs: 5_000, now: () => Date.now() });
  const skew: number = guard.skewMs;
  const lapsedAnswer = { status: 500, headers: { "Content-Type": "application/json" }, body: "{}" };
  const claim = await guard.begin("co_zabc", Date.now() + 60_000, { leaseMs: 10_000, keepUntil: Date.now() + 86_400_000, lapsedAnswer });
  if (claim.state === "lapsed") void claim;
  const plain = await guard.begin("co_zabc", Date.now() + 60_000);
  if (plain.state === "running") void plain;
  const renewed: boolean = await guard.renew("co_zabc", 10_000);
  const looked = await guard.lookup("co_zabc");
  if (looked.state === "done") void looked.answer?.body;
  await guard.complete("co_zabc", lapsedAnswer, Date.now(), { keepUntil: Date.now() + 1_000 });
  await guard.complete("co_zabc", lapsedAnswer, Date.now(), { answerTtlMs: 86_400_000 });
  await guard.begin("co_zabc", Date.now() + 60_000, { leaseMs: 10_000, answerTtlMs: 86_400_000, lapsedAnswer });
  // @ts-expect-error leaseMs is a number
  await guard.begin("co_zabc", 1, { leaseMs: "10s" });
  const stats = await guard.shard(0).stats();
  const chunks: number = stats.chunks + stats.lapsed;
  void [skew, renewed, chunks];
}

export class KeptAnswers {
  constructor(private ctx: { storage: { sql: unknown; transactionSync<T>(fn: () => T): T } }) {}
  run() {
    const once = exactlyOnce(this.ctx, { skewMs: 10_000, sweepRows: 50 });
    once.transaction(() => {
      if (once.begin("co_zabc", Date.now() + 60_000, { keepUntil: Date.now() + 86_400_000 }).state === "first") once.complete("co_zabc", null, { keepUntil: Date.now() + 86_400_000 });
    });
    const swept: number = once.sweep(10);
    return [once.lookup("co_zabc").state, swept, once.stats().chunks] as const;
  }
}
