// The test Worker of tests/workerd/durable-guard.test.mjs. Each endpoint drives the
// Durable Object guard (or exactlyOnce) through one case of issue 15 / 17.2 with a
// guard name of its own, and answers what it saw; the test file asserts.
import { DurableObject } from "cloudflare:workers";
import * as lib from "jazzrpc/cloudflare";
import { z } from "zod";

/** The guard object with a short sweep delay (100 ms), so that sweeps happen within a test. */
export class FastSweepGuard extends lib.ReplayGuardDurableObject {
  static sweepDelayMs = 100;
  #sizes = { batches: 0, maxRequestChars: 0, maxReplyChars: 0 };
  /** batch(), measuring the answers' characters each call carries in and out. */
  batch(ops) {
    const results = super.batch(ops);
    const chars = (list, of) => list.reduce((n, x) => n + (of(x)?.body?.length ?? 0), 0);
    this.#sizes.batches++;
    this.#sizes.maxRequestChars = Math.max(this.#sizes.maxRequestChars, chars(ops, (op) => op?.answer));
    this.#sizes.maxReplyChars = Math.max(this.#sizes.maxReplyChars, chars(results, (r) => r?.answer));
    return results;
  }
  sizes() {
    return { ...this.#sizes };
  }
  /** The alarm's work, called by hand (alarm() itself cannot be called over RPC): as a repeated or early delivery would. */
  sweepNow() {
    return this.alarm();
  }
}

/** The same, whose own alarms come an hour late: only sweepNow() sweeps. */
export class SlowSweepGuard extends FastSweepGuard {
  static sweepDelayMs = 60 * 60 * 1000;
}

/** An object that keeps request ids with exactlyOnce, on a clock the test sets. */
export class OnceDO extends DurableObject {
  #clock = Date.now();
  #once;
  constructor(ctx, env) {
    super(ctx, env);
    this.#once = lib.exactlyOnce(ctx, { now: () => this.#clock, sweepEveryMs: 0 });
  }
  setClock(t) {
    this.#clock = t;
  }
  /** The claim and the answer in one transaction, as handle() does: the claim's state. */
  run(id, expiresAt, answer, keepUntil) {
    return this.#once.transaction(() => {
      const claim = this.#once.begin(id, expiresAt, keepUntil === undefined ? undefined : { keepUntil });
      if (claim.state === "first") this.#once.complete(id, answer, keepUntil === undefined ? undefined : { keepUntil });
      return claim;
    });
  }
  lookup(id) {
    return this.#once.lookup(id);
  }
  /** A body through handle() with exactlyOnce, the route's clock `offsetMs` ahead of the real one (the store's too). */
  async handle(secret, body, offsetMs) {
    const worker = lib.Account.fromSecret(secret);
    const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
    this.#clock = Date.now() + offsetMs;
    this.runs ??= 0;
    const response = await route.handle(new Request("http://h/api/book", { method: "POST", body }), worker, ({ eventId }) => (this.runs++, { ticketId: `t-${eventId}` }), {
      exactlyOnce: this.#once,
      now: () => Date.now() + offsetMs,
      onError: () => {},
    });
    return { status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", text: await response.text(), runs: this.runs };
  }
  stats() {
    return this.#once.stats();
  }
}

const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
const describe = (error) => (error?.stack ? String(error.stack) : String(error));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const newId = () => "co_z" + lib.core.base58Encode(crypto.getRandomValues(new Uint8Array(19)));
const settle = (promise) =>
  Promise.resolve(promise).then(
    (value) => ({ value }),
    (error) => ({ error: String(error?.message ?? error) }),
  );
const guardOf = (env, name, options = {}) => lib.durableObjectReplayGuard(name.startsWith("slow-") ? env.SLOW_GUARD : env.GUARD, { name, ...options });
const answerOf = (body, status = 200) => ({ status, headers: { "Content-Type": "application/json" }, body });
/** The answer the route stores for a claim whose lease lapsed. */
const LAPSED_ANSWER = answerOf(JSON.stringify({ message: "Outcome unknown: reconcile", code: 500, reason: "ERR_OUTCOME_UNKNOWN" }), 500);
const sha256 = async (text) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))), (b) => b.toString(16).padStart(2, "0")).join("");

/** A body of about `bytes` UTF-8 bytes mixing ASCII, quotes, escapes and characters of 2, 3 and 4 bytes. */
function bigBody(bytes) {
  const piece = 'ticket "seat" \\ é€😀 \n\t';
  const pieceBytes = new TextEncoder().encode(JSON.stringify(piece)).length - 2; // as it stands in the JSON body
  return JSON.stringify({ ticketId: piece.repeat(Math.floor((bytes - 20) / pieceBytes)) });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const name = q.get("name") ?? crypto.randomUUID();
    try {
      switch (url.pathname) {
        // A claim holding a lease of ?leaseMs that nobody renews (its isolate "died"):
        // copies after the lease get "lapsed" once, then the lapsed answer; a late
        // complete() overwrites it. One id claimed through the guard (the isolate knows
        // it as running), one straight at the object (another isolate's).
        case "/lease": {
          const leaseMs = Number(q.get("leaseMs"));
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const exp = Date.now() + 60_000;
          const options = { leaseMs, keepUntil: exp + 60_000, lapsedAnswer: LAPSED_ANSWER };
          const [local, remote, unleased] = [newId(), newId(), newId()];
          const claims = [await guard.begin(local, exp, options), await stub.begin(remote, exp, options), await guard.begin(unleased, exp, { lapsedAnswer: LAPSED_ANSWER })];
          const beforeLapse = [await guard.begin(local, exp, options), await guard.begin(remote, exp, options)];
          await sleep(leaseMs + 300);
          const copies = [];
          for (let i = 0; i < 3; i++) copies.push([await settle(guard.begin(local, exp, options)), await settle(guard.begin(remote, exp, options))]);
          const unleasedCopy = await settle(guard.begin(unleased, exp, options));
          const statsLapsed = await stub.stats();
          const real = answerOf('{"ticketId":"the real one"}');
          const completed = await guard.complete(local, real, exp, { keepUntil: exp + 60_000 });
          const afterComplete = [await settle(guard.begin(local, exp, options)), await stub.lookup(local)];
          return json({ claims, beforeLapse, copies, unleasedCopy, statsLapsed, completed, afterComplete, lapsedAnswer: LAPSED_ANSWER, real });
        }

        // A slow handler's claim kept by renew() every leaseMs/3, for 3 leases; then no more renewals.
        case "/renew": {
          const leaseMs = Number(q.get("leaseMs"));
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const exp = Date.now() + 60_000;
          const options = { leaseMs, lapsedAnswer: LAPSED_ANSWER };
          const id = newId();
          const claim = await guard.begin(id, exp, options);
          const renewed = [];
          const started = Date.now();
          while (Date.now() - started < 3 * leaseMs) {
            await sleep(leaseMs / 3);
            renewed.push(await settle(guard.renew(id, leaseMs)));
          }
          const whileRenewed = [await settle(guard.begin(id, exp, options)), await stub.begin(id, exp, options)];
          await sleep(leaseMs + 300);
          const afterwards = await settle(guard.begin(id, exp, options));
          const renewDone = await settle(guard.renew(id, leaseMs)); // a done row: no-op
          return json({ claim, renewed, whileRenewed, afterwards, renewDone });
        }

        // Answers kept until keepUntil, past expiresAt (+ skewMs 0 here): lookup() gives
        // them, a claim of the expired body is refused; an answer with no keepUntil goes
        // with its window.
        case "/keep": {
          const guard = guardOf(env, name, { skewMs: 0 });
          const stub = guard.shard(0);
          const now = Date.now();
          const exp = now + 300;
          const [kept, plain] = [newId(), newId()];
          const answer = answerOf('{"ticketId":"kept"}');
          await guard.begin(kept, exp, { keepUntil: now + 60_000 });
          await guard.begin(plain, exp);
          await guard.complete(kept, answer, exp, { keepUntil: now + 60_000 });
          await guard.complete(plain, answer, exp);
          await sleep(800); // past expiresAt on every clock
          const other = guardOf(env, name, { skewMs: 0, now: () => Date.now() - 10_000 }); // a Worker whose clock still accepts the body
          const ttl = newId(); // kept answerTtlMs from its complete(), on the object's clock
          const ttlExp = Date.now() + 300;
          await guard.begin(ttl, ttlExp, { answerTtlMs: 60_000 });
          await guard.complete(ttl, answer, ttlExp, { answerTtlMs: 60_000 });
          await sleep(400);
          return json({
            answer,
            lookupKept: await stub.lookup(kept),
            lookupKeptThroughGuard: await guard.lookup(kept),
            lookupPlain: await stub.lookup(plain),
            lookupTtl: await stub.lookup(ttl),
            lookupNever: await guard.lookup(newId()),
            copyOfKept: await settle(other.begin(kept, exp)),
            expiredHere: await guard.begin(kept, exp),
            stats: await stub.stats(),
          });
        }

        // Through the route (handle()): a copy that finds a dead claim's lease lapsed
        // (claimed at the object by an isolate that never came back) gets 500
        // ERR_OUTCOME_UNKNOWN, and so does every later copy (replayed), the handler never
        // running; a slow handler's claim renewed by the route stays running (409) past
        // its lease; a body past its window gets its stored answer (lookup), and one with
        // none is refused as expired.
        case "/route-life": {
          const leaseMs = 300;
          const worker = lib.Account.create();
          const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() }, options: { leaseMs } });
          const owner = lib.Account.create();
          const prepared = [];
          for (let i = 0; i < 3; i++) prepared.push(await route.prepare({ eventId: `e${i}` }, { owner }));
          const guard = guardOf(env, name);
          let runs = 0;
          let gate = null;
          const handler = async ({ eventId }) => {
            runs++;
            await gate;
            return { ticketId: `ticket-${eventId}` };
          };
          const handle = async (p, options = {}) => {
            const response = await route.handle(new Request("http://h/api/book", { method: "POST", body: p.body }), worker, handler, { replayGuard: guard, onError: () => {}, ...options });
            return { status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", json: await response.json() };
          };
          // 1. a dead claim
          const [dead, slow, late] = prepared;
          await guard.shard(0).begin(dead.id, dead.expiresAt, { leaseMs });
          await sleep(leaseMs + 300);
          const deadCopies = [await handle(dead), await handle(dead)];
          const deadRuns = runs;
          // 2. a slow handler: 4 leases long
          let open;
          gate = new Promise((resolve) => (open = resolve));
          const first = handle(slow);
          await sleep(4 * leaseMs);
          const whileSlow = await handle(slow);
          open();
          const slowAnswer = await first;
          const afterSlow = await handle(slow);
          // 3. past the window (the route's clock 2 minutes on): the stored answer; none for a body never sent
          const later = { now: () => Date.now() + 120_000 };
          const pastWindow = [await handle(slow, later), await handle(late, later)];
          return json({ deadCopies, deadRuns, whileSlow, slowAnswer, afterSlow, pastWindow, runs });
        }

        // Idempotency keys over the Durable Object guard: two requests with one key and
        // the same values (each its own id), handled in this isolate, then one with the
        // same key and other values.
        case "/idempotency": {
          const worker = lib.Account.create();
          const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
          const owner = lib.Account.create();
          const key = `booking-${crypto.randomUUID()}`;
          const same = [await route.prepare({ eventId: "a" }, { owner, idempotencyKey: key }), await route.prepare({ eventId: "a" }, { owner, idempotencyKey: key })];
          const other = await route.prepare({ eventId: "b" }, { owner, idempotencyKey: key });
          const guard = guardOf(env, name);
          let runs = 0;
          const handle = async (p) => {
            const response = await route.handle(new Request("http://h/api/book", { method: "POST", body: p.body }), worker, ({ eventId }) => (runs++, { ticketId: `t-${eventId}-${runs}` }), { replayGuard: guard, onError: () => {} });
            return { status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", json: await response.json() };
          };
          const answers = [await handle(same[0]), await handle(same[1]), await handle(other)];
          return json({ answers, runs, ids: same.map((p) => p.id) });
        }

        // ?kept rows kept until +keepMs, ?short rows until their expiresAt (+100 ms): stats as time passes.
        case "/sweep": {
          const guard = guardOf(env, name, { skewMs: 0 });
          const stub = guard.shard(0);
          const now = Date.now();
          const exp = now + Number(q.get("ttl") ?? 100);
          const keepUntil = now + Number(q.get("keepMs"));
          const kept = Array.from({ length: Number(q.get("kept")) }, newId);
          const short = Array.from({ length: Number(q.get("short")) }, newId);
          await Promise.all([...kept.map((id) => guard.begin(id, exp, { keepUntil })), ...short.map((id) => guard.begin(id, exp))]);
          const big = answerOf(bigBody(200 * 1024)); // chunked: its chunks go with its row
          await Promise.all(kept.map((id, i) => guard.complete(id, i === 0 ? big : answerOf(`{"i":${i}}`), exp, { keepUntil })));
          await Promise.all(short.map((id) => guard.complete(id, answerOf("{}"), exp)));
          return json({ kept, short, keepUntil, stats: await stub.stats() });
        }
        case "/stats":
          return json(await guardOf(env, name).shard(0).stats());
        case "/lookup":
          return json(await guardOf(env, name).shard(0).lookup(q.get("id")));
        // The alarm called by hand (as a repeated delivery would): what each run left.
        case "/alarm": {
          const stub = guardOf(env, name).shard(0);
          const runs = [];
          for (let i = 0; i < Number(q.get("times") ?? 1); i++) {
            await stub.sweepNow();
            runs.push(await stub.stats());
          }
          return json(runs);
        }

        // A stored answer of ?bytes, through the guard and the object: its SHA-256 and
        // length as stored and as read back (a begin of a copy, a lookup, 20 lookups at
        // once from one isolate, which do not fit in one batch's reply).
        case "/big": {
          const guard = guardOf(env, name);
          const stub = guard.shard(0);
          const exp = Date.now() + 60_000;
          const id = newId();
          const answer = answerOf(bigBody(Number(q.get("bytes"))));
          await guard.begin(id, exp);
          const completed = await guard.complete(id, answer, exp, { keepUntil: exp });
          const fresh = guardOf(env, name); // same isolate: the answer is too large to keep locally
          const copy = await fresh.begin(id, exp);
          const viaStub = await stub.lookup(id);
          const many = await Promise.all(Array.from({ length: 20 }, () => fresh.lookup(id)));
          const digest = async (a) => (a?.answer ? { state: a.state, status: a.answer.status, headers: a.answer.headers, length: a.answer.body.length, sha: await sha256(a.answer.body) } : a);
          return json({
            stored: { status: answer.status, headers: answer.headers, length: answer.body.length, sha: await sha256(answer.body), utf8: new TextEncoder().encode(answer.body).length },
            completed,
            copy: await digest(copy),
            viaStub: await digest(viaStub),
            many: await Promise.all(many.map(digest)),
            stats: await stub.stats(),
          });
        }

        // ?count answers of 1 MiB completed in one turn (more than one RPC may carry),
        // then all begun again in one turn: every one stored and given back whole.
        case "/big-many": {
          const guard = guardOf(env, name);
          const exp = Date.now() + 60_000;
          const count = Number(q.get("count"));
          const ids = Array.from({ length: count }, newId);
          const answers = ids.map((_, i) => answerOf(bigBody((1 << 20) - 64 - i)));
          await Promise.all(ids.map((id) => guard.begin(id, exp)));
          const completed = await Promise.all(ids.map((id, i) => settle(guard.complete(id, answers[i], exp, { keepUntil: exp }))));
          const other = guardOf(env, name);
          const copies = await Promise.all(ids.map((id) => settle(guardOf(env, name).shard(0).lookup(id))));
          const again = await Promise.all(ids.map((id) => settle(other.begin(id, exp))));
          const same = await Promise.all(
            again.map(async (r, i) => r.value?.answer?.body === answers[i].body && copies[i].value?.answer?.body === answers[i].body),
          );
          return json({ completed: completed.map((c) => c.value ?? c.error), same, errors: again.filter((r) => r.error).map((r) => r.error).slice(0, 3), sizes: await guard.shard(0).sizes() });
        }

        // The route end to end: a handler answers about ?bytes; the same body again gets the stored bytes.
        case "/big-route": {
          const worker = lib.Account.create();
          const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
          const { body } = await route.prepare({ eventId: "e1" }, { owner: lib.Account.create() });
          const guard = guardOf(env, name);
          let runs = 0;
          const ticketId = JSON.parse(bigBody(Number(q.get("bytes")))).ticketId;
          const handle = async () => {
            const response = await route.handle(new Request("http://h/api/book", { method: "POST", body }), worker, () => (runs++, { ticketId }), { replayGuard: guard, onError: () => {} });
            const text = await response.text();
            return { status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", length: text.length, sha: await sha256(text), head: text.slice(0, 200) };
          };
          const first = await handle();
          const again = [await handle(), await handle()];
          return json({ first, again, runs, stats: await guard.shard(0).stats() });
        }

        // The skew margin on the object's clock: a Worker 5 s behind the object sends a
        // body the object's clock puts 1 s past its expiresAt (a fresh one, and a copy of
        // one claimed and completed), then one 11 s past it (beyond skewMs 10 s).
        case "/skew": {
          const guard = guardOf(env, name);
          const now = Date.now();
          const claimedId = newId();
          const answer = answerOf('{"ticketId":"skew"}');
          await guard.begin(claimedId, now + 200);
          await guard.complete(claimedId, answer, now + 200);
          await sleep(1_200); // the object's clock: 1 s past that expiresAt
          const behind = guardOf(env, name, { now: () => Date.now() - 5_000 });
          const farBehind = guardOf(env, name, { now: () => Date.now() - 15_000 });
          return json({
            answer,
            fresh: await settle(behind.begin(newId(), Date.now() - 1_000)),
            copy: await settle(behind.begin(claimedId, now + 200)),
            beyond: await settle(farBehind.begin(newId(), Date.now() - 11_000)),
            stats: await guard.shard(0).stats(),
          });
        }

        // exactlyOnce through handle(): a body handled, then the same body with the
        // route's clock 2 h on (past its window): its stored answer; a body never
        // handled: refused as expired.
        case "/once-route": {
          const stub = env.ONCE.get(env.ONCE.idFromName(name));
          const worker = lib.Account.create();
          const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
          const owner = lib.Account.create();
          const [a, b] = [await route.prepare({ eventId: "a" }, { owner }), await route.prepare({ eventId: "b" }, { owner })];
          const twoHours = 2 * 60 * 60 * 1000;
          const first = await stub.handle(worker.secret, a.body, 0);
          const later = await stub.handle(worker.secret, a.body, twoHours);
          const never = await stub.handle(worker.secret, b.body, twoHours);
          return json({ first, later, never });
        }

        // exactlyOnce on a clock the test moves: an answer kept until keepUntil (24 h),
        // past its window; then swept.
        case "/once-keep": {
          const stub = env.ONCE.get(env.ONCE.idFromName(name));
          const t0 = Date.now();
          const day = 24 * 60 * 60 * 1000;
          const [kept, plain] = [newId(), newId()];
          const answer = answerOf('{"ticketId":"once"}');
          await stub.setClock(t0);
          const claims = [await stub.run(kept, t0 + 60_000, answer, t0 + day), await stub.run(plain, t0 + 60_000, answer)];
          await stub.setClock(t0 + 2 * 60 * 60 * 1000); // two hours on: past both windows and skews
          await stub.run(newId(), t0 + 3 * 60 * 60 * 1000, answer); // a claim: the sweep runs
          const atTwoHours = { kept: await stub.lookup(kept), plain: await stub.lookup(plain), copy: await stub.run(kept, t0 + 60_000, answer), stats: await stub.stats() };
          await stub.setClock(t0 + day + 60_000);
          await stub.run(newId(), t0 + day + 120_000, answer);
          const afterDay = { kept: await stub.lookup(kept), stats: await stub.stats() };
          return json({ answer, claims, atTwoHours, afterDay });
        }
      }
      return json({ message: "Not found" }, 404);
    } catch (error) {
      return json({ message: describe(error) }, 500);
    }
  },
};
