// The test Worker of tests/workerd/coalesce.test.mjs: durableObjectReplayGuard's
// coalesced calls and its isolate-local ids, against a guard object that counts the
// calls it gets and fails on demand (a test-only subclass; production options are
// untouched).
import * as lib from "jazzrpc/cloudflare";
import { z } from "zod";

export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

/**
 * The guard object, counting its RPC calls, and failing on demand: plan(steps) sets
 * what the next batch() calls do, one step each: "slow" (waits 300 ms first, so that
 * callers queue up behind it), "fail" (throws before doing anything), "insert3" (the
 * third INSERT of the batch throws, after the first two were written: they must be
 * rolled back), or "" (nothing special).
 */
export class CountingReplayGuard extends lib.ReplayGuardDurableObject {
  #counts = { batch: 0, ops: 0, begin: 0, claim: 0, complete: 0, release: 0 };
  #plan = [];
  #armed;
  constructor(ctx, env) {
    const armed = { inserts: 0 };
    const { sql } = ctx.storage;
    const exec = sql.exec.bind(sql);
    sql.exec = (query, ...args) => {
      if (armed.inserts > 0 && /^\s*INSERT/.test(query) && --armed.inserts === 0) throw new Error("injected INSERT failure");
      return exec(query, ...args);
    };
    super(ctx, env);
    this.#armed = armed;
  }
  async batch(ops) {
    this.#counts.batch++;
    this.#counts.ops += Array.isArray(ops) ? ops.length : 0;
    const step = this.#plan.shift() ?? "";
    if (step === "slow") await new Promise((resolve) => setTimeout(resolve, 300));
    if (step === "fail") throw new Error("injected batch failure");
    this.#armed.inserts = step === "insert3" ? 3 : 0;
    try {
      return super.batch(ops);
    } finally {
      this.#armed.inserts = 0;
    }
  }
  begin(id, expiresAt) {
    this.#counts.begin++;
    return super.begin(id, expiresAt);
  }
  claim(id, expiresAt) {
    this.#counts.claim++;
    return super.claim(id, expiresAt);
  }
  complete(id, answer) {
    this.#counts.complete++;
    return super.complete(id, answer);
  }
  release(id) {
    this.#counts.release++;
    return super.release(id);
  }
  plan(steps) {
    this.#plan = [...steps];
  }
  counts() {
    return { ...this.#counts };
  }
}

const defineBook = (workerId, duplicates = "replay") =>
  lib.defineRequest({
    url: "/api/book",
    workerId,
    request: { eventId: z.string() },
    response: { ticketId: z.string() },
    options: { duplicates },
  });

const guardOf = (env, name) => lib.durableObjectReplayGuard(env.COUNTED, { name });
const counts = (env, name) => guardOf(env, name).shard(0).counts();
const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
const describe = (error) => (error?.stack ? String(error.stack) : String(error));
const newId = () => "co_z" + lib.core.base58Encode(crypto.getRandomValues(new Uint8Array(19)));
const settle = (promise) =>
  Promise.resolve(promise).then(
    (value) => ({ value }),
    (error) => ({ error: String(error?.message ?? error) }),
  );

// Handler runs per guard name, in this isolate.
const runs = new Map();
const gates = new Map(); // guard name -> a promise the handler waits for
let worker = null;

/** The route's handler: counts its runs; waits at the guard's gate when there is one. */
const bookHandler = (name) => async ({ eventId }) => {
  runs.set(name, (runs.get(name) ?? 0) + 1);
  await gates.get(name);
  return { ticketId: `ticket-${eventId}-${crypto.randomUUID().slice(0, 8)}` };
};

/** Bodies for the route, signed in this Worker by a new client account. */
async function bodies(route, count) {
  const out = [];
  const owner = lib.Account.create();
  for (let i = 0; i < count; i++) {
    await route.send({ eventId: `e${i}` }, { owner, fetch: async (_u, init) => (out.push(init.body), new Response("", { status: 599 })) }).catch(() => {});
  }
  return out;
}

const post = (body) => new Request("http://h/api/book", { method: "POST", body });
const answerOf = async (response) => ({ status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", text: await response.text() });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const name = q.get("name") ?? "coalesce";
    worker ??= lib.Account.fromSecret(env.JAZZ_WORKER_SECRET);
    try {
      switch (url.pathname) {
        // The route, over HTTP, with the counted guard of ?name.
        case "/api/book": {
          const route = defineBook(worker.id, q.get("duplicates") ?? "replay");
          return route.handle(request, worker, bookHandler(name), { replayGuard: guardOf(env, name), onError: () => {} });
        }

        case "/counts":
          return json({ ...(await counts(env, name)), runs: runs.get(name) ?? 0 });

        case "/plan":
          await guardOf(env, name).shard(0).plan(q.get("steps").split(","));
          return json({ ok: true });

        // In one turn: begin() of new ids, of ids the object holds (running, done with
        // an answer) that this isolate does not know, of one id twice, of an expired
        // id and of an invalid one. Answers every result and the object's counts.
        case "/mix": {
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const now = Date.now();
          const exp = now + 60_000;
          const [running, finished] = [newId(), newId()];
          const answer = { status: 200, headers: { "Content-Type": "application/json" }, body: '{"stored":true}' };
          await stub.begin(running, exp); // straight to the object: this isolate does not know them
          await stub.begin(finished, exp);
          await stub.complete(finished, answer);
          const fresh = Array.from({ length: Number(q.get("fresh") ?? 20) }, newId);
          const twice = newId();
          const before = await stub.counts();
          const results = await Promise.all([
            ...fresh.map((id) => settle(guard.begin(id, exp))),
            settle(guard.begin(running, exp)),
            settle(guard.begin(finished, exp)),
            settle(guard.begin(twice, exp)),
            settle(guard.begin(twice, exp)),
            settle(guard.begin(newId(), now - 1)),
            settle(guard.begin("", exp)),
          ]);
          const after = await stub.counts();
          return json({ results, fresh: fresh.length, answer, before, after });
        }

        // `count` begin() calls in one turn, all new ids.
        case "/many": {
          const guard = guardOf(env, name);
          const exp = Date.now() + 60_000;
          const before = await counts(env, name);
          const results = await Promise.all(Array.from({ length: Number(q.get("count")) }, () => guard.begin(newId(), exp)));
          const after = await counts(env, name);
          return json({ first: results.filter((r) => r.state === "first").length, before, after });
        }

        // A claim that lands after guardTimeoutMs (its batch is slow): 503, the late
        // claim is released, and the retry of the same body gets 200.
        case "/late": {
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const route = defineBook(worker.id);
          const [body] = await bodies(route, 1);
          await stub.plan(["slow"]);
          const before = await stub.counts();
          const handle = () => route.handle(post(body), worker, bookHandler(name), { replayGuard: guard, guardTimeoutMs: 100, onError: () => {} });
          const first = (await handle()).status;
          await new Promise((resolve) => setTimeout(resolve, 600)); // the slow batch lands, the claim is released
          const released = await stub.counts();
          const retry = await answerOf(await handle());
          return json({ first, retry, counts: [before, released], runs: runs.get(name) ?? 0 });
        }

        // `count` ids claimed, then the first and the last again: past LOCAL_IDS, the
        // oldest ids are the ones the isolate forgot. Then ids that expire in 300 ms,
        // claimed again after they have.
        case "/cap": {
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const exp = Date.now() + 60_000;
          const ids = Array.from({ length: Number(q.get("count")) }, newId);
          await Promise.all(ids.map((id) => guard.begin(id, exp)));
          const c0 = await stub.counts();
          const oldest = (await guard.begin(ids[0], exp)).state;
          const c1 = await stub.counts();
          const newest = (await guard.begin(ids.at(-1), exp)).state;
          const c2 = await stub.counts();
          // Without a skew margin (skewMs 0), an id is held until its expiresAt only.
          const unskewed = lib.durableObjectReplayGuard(env.COUNTED, { name, skewMs: 0 });
          const short = newId();
          const claimed = (await unskewed.begin(short, Date.now() + 300)).state;
          const c3 = await stub.counts();
          await new Promise((resolve) => setTimeout(resolve, 2_000)); // past its expiry and the replay set's 1 s bucket
          const again = (await unskewed.begin(short, Date.now() + 60_000)).state;
          const c4 = await stub.counts();
          return json({ oldest, newest, claimed, again, counts: [c0, c1, c2, c3, c4] });
        }

        // A body handled while a copy of it arrives (409), then after it (the stored
        // answer), then with duplicates "reject" (400): the object's counts at each step.
        case "/local": {
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const route = defineBook(worker.id);
          const [body] = await bodies(route, 1);
          let open;
          gates.set(name, new Promise((resolve) => (open = resolve)));
          const handle = (r = route) => r.handle(post(body), worker, bookHandler(name), { replayGuard: guard, onError: () => {} });
          const first = handle();
          while ((runs.get(name) ?? 0) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          const c0 = await stub.counts();
          const whileRunning = await answerOf(await handle());
          const c1 = await stub.counts();
          open();
          gates.delete(name);
          const fresh = await answerOf(await first);
          const c2 = await stub.counts();
          const replays = [];
          for (let i = 0; i < 3; i++) replays.push(await answerOf(await handle()));
          const c3 = await stub.counts();
          // duplicates "reject": the route never completes; a copy is refused here.
          const rejecting = defineBook(worker.id, "reject");
          const [rejectBody] = await bodies(rejecting, 1);
          const r1 = await answerOf(await rejecting.handle(post(rejectBody), worker, bookHandler(name), { replayGuard: guard }));
          const c4 = await stub.counts();
          const r2 = await answerOf(await rejecting.handle(post(rejectBody), worker, bookHandler(name), { replayGuard: guard }));
          const c5 = await stub.counts();
          // release() forgets the local entry: the next claim asks the object again.
          await guard.release(JSON.parse(rejectBody).id);
          const c6 = await stub.counts();
          const r3 = await answerOf(await rejecting.handle(post(rejectBody), worker, bookHandler(name), { replayGuard: guard }));
          const c7 = await stub.counts();
          return json({ whileRunning, fresh, replays, r1, r2, r3, counts: [c0, c1, c2, c3, c4, c5, c6, c7], runs: runs.get(name) });
        }

        // `count` bodies handled at once while the guard object is busy with two slow
        // batches, so that their claims queue up and leave as one batch, which fails
        // (?what: "fail" or "insert3"): every one of them is 503. Then each body again.
        case "/fail": {
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const route = defineBook(worker.id);
          const list = await bodies(route, Number(q.get("count") ?? 8));
          await stub.plan(["slow", "slow", q.get("what")]);
          const before = await stub.counts();
          const exp = Date.now() + 60_000;
          const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
          const busy = [guard.begin(newId(), exp)]; // two batches out: the lane is full
          await pause();
          busy.push(guard.begin(newId(), exp));
          await pause();
          const errors = [];
          const handle = (body) => route.handle(post(body), worker, bookHandler(name), { replayGuard: guard, onError: (e) => errors.push(String(e?.message ?? e)) });
          const failed = await Promise.all(list.map(async (body) => (await handle(body)).status));
          const busyStates = (await Promise.all(busy)).map((r) => r.state);
          const middle = await stub.counts();
          const retried = await Promise.all(list.map(async (body) => answerOf(await handle(body))));
          const again = await Promise.all(list.map(async (body) => answerOf(await handle(body))));
          return json({ failed, busyStates, retried, again, errors, counts: [before, middle, await stub.counts()], runs: runs.get(name) ?? 0, stats: await stub.stats() });
        }
      }
      return json({ message: "Not found" }, 404);
    } catch (error) {
      return json({ message: describe(error) }, 500);
    }
  },
};
