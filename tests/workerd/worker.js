// The test Worker: the shared API scenarios (tests/scenarios/api.mjs), run in
// workerd through jazzrpc/cloudflare, with the memory guard and with the Durable
// Object guard; and direct access to the guard for the sweep and shard tests.
import { DurableObject } from "cloudflare:workers";
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

/**
 * An event's object that handles bookings with exactlyOnce, and fails on demand:
 * arm("in-transaction") throws after the reservation's INSERT, inside the
 * transaction; arm("after-commit") resets the object (ctx.abort) once the
 * transaction's writes are durable, before the answer leaves it;
 * arm("before-durable") resets it in the same turn as the commit.
 */
export class FlakyEventDO extends DurableObject {
  #once;
  #armed = null;
  constructor(state, env) {
    super(state, env);
    state.storage.sql.exec("CREATE TABLE IF NOT EXISTS reservation (seat INTEGER PRIMARY KEY, account TEXT NOT NULL)");
    this.#once = lib.exactlyOnce(state);
  }
  arm(what) {
    this.#armed = what;
  }
  info() {
    const seats = this.ctx.storage.sql.exec("SELECT seat, account FROM reservation ORDER BY seat").toArray();
    return { seats, requests: this.#once.stats() };
  }
  async fetch(request) {
    const { secret, mode } = Object.fromEntries(new URL(request.url).searchParams);
    const worker = lib.Account.fromSecret(secret);
    const route = bookRoute(worker.id);
    const armed = this.#armed;
    this.#armed = null;
    const sql = this.ctx.storage.sql;
    const book = (_value, madeBy) => {
      const { taken } = sql.exec("SELECT COALESCE(MAX(seat), 0) AS taken FROM reservation").one();
      sql.exec("INSERT INTO reservation (seat, account) VALUES (?, ?)", taken + 1, madeBy.id);
      if (armed === "in-transaction") throw new Error("injected failure inside the transaction");
      return { ticketId: `seat-${taken + 1}` };
    };
    const handler = mode === "async" ? async (value, madeBy) => book(value, madeBy) : book;
    const response = await route.handle(request, worker, handler, { exactlyOnce: this.#once, onError: () => {} });
    if (armed === "after-commit") {
      await this.ctx.storage.sync(); // the commit is durable
      this.ctx.abort(new Error("injected reset after the commit"));
    }
    // Reset in the same turn: the transaction committed in SQLite, but the turn's
    // writes were not yet durable; the runtime drops them with the object.
    if (armed === "before-durable") this.ctx.abort(new Error("injected reset before the writes were durable"));
    return response;
  }
}

const bookRoute = (workerId) =>
  lib.defineRequest({ url: "/api/book", workerId, request: { eventId: z.string() }, response: { ticketId: z.string() } });
const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
const describe = (error) => (error?.stack ? String(error.stack) : String(error));

// A fresh guard per scenario run: a name no other run uses. The scenarios check an
// id's life against its expiresAt, so without a skew margin (skewMs 0, as the Redis
// guard's scenarios run); the margin has tests of its own (durable-guard.test.mjs).
const durableGuard = (env, now) => lib.durableObjectReplayGuard(env.REPLAY_GUARD, { name: `scenario-${crypto.randomUUID()}`, skewMs: 0, now });

async function runScenario(env, suite, index, guard) {
  if (suite === "api") return scenarios[index].fn(ctx);
  const makeGuard = guard === "durable" ? (now) => durableGuard(env, now) : (now) => new lib.MemoryReplayGuard({ now });
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
          const skewMs = q.has("skewMs") ? Number(q.get("skewMs")) : undefined;
          const guard = lib.durableObjectReplayGuard(env.REPLAY_GUARD, { shards: Number(q.get("shards")), name: q.get("name"), skewMs });
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

        // A booking in an event's object with exactlyOnce, the object failing once
        // (inside the transaction, or reset after the commit): the retry of the same
        // body gets one booking and its ticket.
        case "/exactly-once": {
          const worker = lib.Account.create();
          const id = env.FLAKY_EVENT.idFromName(`event-${crypto.randomUUID()}`);
          const stub = () => env.FLAKY_EVENT.get(id); // a reset object breaks its stubs: one per call
          await stub().arm(q.get("fail"));
          let body;
          await bookRoute(worker.id).send({ eventId: "e1" }, { owner: lib.Account.create(), fetch: async (_u, init) => { body = init.body; throw new Error("captured"); } }).catch(() => {});
          const url = `http://h/api/book?secret=${encodeURIComponent(worker.secret)}&mode=${q.get("mode") ?? "sync"}`;
          const attempts = [];
          for (let i = 0; i < 3; i++) {
            try {
              const response = await stub().fetch(new Request(url, { method: "POST", body }));
              attempts.push({ status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", body: await response.json() });
            } catch (error) {
              attempts.push({ lost: String(error?.message ?? error) });
            }
          }
          return json({ attempts, info: await stub().info() });
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
