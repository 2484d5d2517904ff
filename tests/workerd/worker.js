// The test Worker: the shared API scenarios (tests/scenarios/api.mjs), run in
// workerd through jazzrpc/cloudflare, with the memory guard and with the Durable
// Object guard; and direct access to the guard for the sweep and shard tests.
import * as lib from "jazzrpc/cloudflare";
import { z } from "zod";
import * as v from "valibot";
import { scenarios, guardScenarios } from "../scenarios/api.mjs";

export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

/**
 * The guard object with a storage that fails on demand: arm("alarm") makes the
 * next setAlarm throw, arm("insert") the next INSERT, as a storage outage would.
 */
export class FlakyReplayGuard extends lib.ReplayGuardDurableObject {
  #armed;
  constructor(ctx, env) {
    // The object's own storage handles, wrapped in place (workerd's base class
    // takes only the real DurableObjectState).
    const armed = { what: null };
    const fail = (what) => {
      if (armed.what !== what) return;
      armed.what = null;
      throw new Error(`injected ${what} failure`);
    };
    const { storage } = ctx;
    const { sql } = storage;
    const exec = sql.exec.bind(sql);
    const setAlarm = storage.setAlarm.bind(storage);
    sql.exec = (query, ...args) => (/^\s*INSERT/.test(query) && fail("insert"), exec(query, ...args));
    storage.setAlarm = (...args) => (fail("alarm"), setAlarm(...args));
    super(ctx, env);
    if (ctx.storage.sql.exec === exec || ctx.storage.setAlarm === setAlarm) throw new Error("FlakyReplayGuard: storage could not be wrapped");
    this.#armed = armed;
  }
  arm(what) {
    this.#armed.what = what;
  }
}

const ctx = { lib, z, v };
const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
const describe = (error) => (error?.stack ? String(error.stack) : String(error));

// A fresh guard per scenario run: a name no other run uses.
const durableGuard = (env) => lib.durableObjectReplayGuard(env.REPLAY_GUARD, { name: `scenario-${crypto.randomUUID()}` });

async function runScenario(env, suite, index, guard) {
  if (suite === "api") return scenarios[index].fn(ctx);
  const makeGuard = guard === "durable" ? () => durableGuard(env) : (now) => new lib.MemoryReplayGuard({ now });
  return guardScenarios[index].fn(ctx, makeGuard);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    try {
      switch (url.pathname) {
        case "/scenarios":
          return json({ api: scenarios.map((s) => s.name), guard: guardScenarios.map((s) => s.name) });

        case "/scenario": {
          try {
            await runScenario(env, q.get("suite"), Number(q.get("i")), q.get("guard"));
            return json({ ok: true });
          } catch (error) {
            return json({ ok: false, error: describe(error) });
          }
        }

        // Claims `count` new random ids through a guard of `shards` shards; answers how many were first claims.
        case "/claim-many": {
          const guard = lib.durableObjectReplayGuard(env.REPLAY_GUARD, { shards: Number(q.get("shards")), name: q.get("name") });
          const expiresAt = Date.now() + Number(q.get("ttl"));
          const ids = Array.from({ length: Number(q.get("count")) }, () => "co_z" + lib.core.base58Encode(crypto.getRandomValues(new Uint8Array(19))));
          const results = await Promise.all(ids.map((id) => guard.claim(id, expiresAt)));
          const again = await Promise.all(ids.slice(0, 10).map((id) => guard.claim(id, expiresAt)));
          return json({ first: results.filter((r) => r === true).length, replaysAccepted: again.filter(Boolean).length });
        }

        // The Durable Object guard's storage fails during the first claim: 503, the
        // id is left unclaimed, and the retry of the same body is handled once.
        case "/guard-failure": {
          const guard = lib.durableObjectReplayGuard(env.FLAKY_GUARD, { name: `flaky-${crypto.randomUUID()}` });
          await guard.shard(0).arm(q.get("fail"));
          const worker = lib.Account.create();
          worker.replayGuard = guard;
          const route = lib.defineRequest({
            url: "/api/book", workerId: worker.id,
            request: { eventId: z.string() }, response: { ticketId: z.string() },
          });
          let runs = 0;
          const errors = [];
          const handle = (init) => route.handle(new Request("http://h/api/book", init), worker, async () => ({ ticketId: `t${++runs}` }), { onError: (e) => errors.push(String(e)) });
          let body;
          await route.send({ eventId: "e1" }, { owner: lib.Account.create(), fetch: async (_u, init) => { body = init.body; throw new Error("captured"); } }).catch(() => {});
          const statuses = [];
          const replayed = [];
          for (let i = 0; i < 3; i++) {
            const response = await handle({ method: "POST", body });
            statuses.push(response.status);
            replayed.push(response.headers.get("X-Jazz-Replayed") === "true");
          }
          return json({ statuses, replayed, runs, errors, stats: await guard.shard(0).stats() });
        }

        // The stats() of every shard of a guard.
        case "/shard-stats": {
          const guard = lib.durableObjectReplayGuard(env.REPLAY_GUARD, { shards: Number(q.get("shards")), name: q.get("name") });
          return json(await Promise.all(Array.from({ length: guard.shards }, (_, i) => guard.shard(i).stats())));
        }
      }
      return json({ message: "Not found" }, 404);
    } catch (error) {
      return json({ message: describe(error) }, 500);
    }
  },
};
