// The batching lane: one isolate's calls to one shard's object, queued and sent as batch
// RPCs (see guards/durable-object.js, "Coalesced calls").

import * as workers from "cloudflare:workers";
import { MAX_BATCH } from "./checks.js";

/** Estimated bytes of the answers one batch RPC carries to the object (at least one operation goes). */
const MAX_BATCH_BYTES = 8 << 20;
/** Batch RPCs one isolate has out to one shard at a time; the operations that come meanwhile wait and leave together. */
const MAX_BATCHES_IN_FLIGHT = 2;
/** A batch RPC out longer than this no longer holds its place (one that is lost cannot stall the shard). */
const STALL_MS = 5_000;
/** A request sends the next batches for this long after its first, then hands over to a waiting caller's request. */
const CHAIN_MS = 2_000;
/** A waiting caller asked to send the next batch that has not done so after this is passed over. */
const LEAD_STALE_MS = 1_000;
/** A caller waits this long for its batch's answer at most, then fails as a call that timed out. */
const WAIT_MS = 60_000;

/** The operations at the head of a queue that go in one batch: at most MAX_BATCH, and MAX_BATCH_BYTES of answers (one at least). */
function takeBatch(queue) {
  let bytes = 0;
  let count = 0;
  while (count < queue.length && count < MAX_BATCH) {
    const op = queue[count].op;
    const size = 3 * ((op.answer?.body?.length ?? 0) + (op.lapsedAnswer?.body?.length ?? 0)) + 512;
    if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    count++;
  }
  return queue.splice(0, count);
}

/**
 * The calls of one isolate to one shard's object: queued, then sent as batch RPCs,
 * at most MAX_BATCHES_IN_FLIGHT at a time. Workers ties a stub, a timer and a
 * promise's continuations to the request that made them, so a batch is sent from a
 * request that is alive until it is answered: the caller that queued first into an
 * idle lane; when a batch comes back, the request that sent it sends the next one
 * (for CHAIN_MS, inside its waitUntil), then hands over to the newest caller waiting.
 * Every caller waits with a timer of its request's own, which also keeps that request
 * from being taken for hung while another request carries its call.
 */
export class Lane {
  #namespace;
  #name;
  #objectId = null;
  #queue = []; // operations not sent yet, in the order they came
  #flights = new Set(); // batches out: { startedAt }
  #leading = null; // when a waiting caller was asked to send the next batch, or null
  #wait = null; // the wait of the operations queued in this turn
  #turn = null; // without calls across requests: the operations of this turn

  constructor(namespace, name) {
    this.#namespace = namespace;
    this.#name = name;
  }

  /** Queues one operation; resolves to its result, rejects as the batch that carried it failed. */
  run(op) {
    if (!acrossRequests()) return this.#runInThisRequest(op);
    let item;
    const answer = new Promise((resolve, reject) => {
      item = { op, resolve, reject, settled: false, wait: this.#waitOfThisTurn(), wake: null };
    });
    item.wait.pending++;
    item.wait.items.push(item);
    // Resolved from another request when this one is to send the next batch: the
    // continuation runs in this request (where a stub may be made), and arms again.
    const arm = () =>
      new Promise((resolve) => (item.wake = resolve)).then(() => {
        arm();
        this.#send();
      });
    arm();
    this.#queue.push(item);
    this.#pump();
    return answer;
  }

  // Where a promise settled from another request would run its continuations there
  // (no_handle_cross_request_promise_resolution, or a runtime without the flag): the
  // operations of one turn, one request's, go together, from that request.
  #runInThisRequest(op) {
    let turn = this.#turn;
    if (turn === null) {
      turn = this.#turn = [];
      queueMicrotask(() => {
        this.#turn = null;
        while (turn.length > 0) this.#call(takeBatch(turn));
      });
    }
    return new Promise((resolve, reject) => turn.push({ op, resolve, reject, settled: false, wait: null }));
  }

  // The callers' wait: one timer for the operations queued in one turn (one request's:
  // workerd caps a request's timers at 10,000), cleared when they are all answered.
  #waitOfThisTurn() {
    if (this.#wait !== null) return this.#wait;
    const wait = { pending: 0, timer: null, items: [] };
    wait.timer = setTimeout(() => {
      for (const item of wait.items) this.#giveUp(item);
      this.#pump();
    }, WAIT_MS);
    this.#wait = wait;
    queueMicrotask(() => {
      if (this.#wait === wait) this.#wait = null;
    });
    return wait;
  }

  // Whether a batch may leave now: something waits, no waiting caller is about to
  // send (or it was asked long ago), and a place is free.
  #mayLeave(now) {
    if (this.#queue.length === 0) return false;
    if (this.#leading !== null && now - this.#leading < LEAD_STALE_MS) return false;
    for (const flight of this.#flights) if (now - flight.startedAt >= STALL_MS) this.#flights.delete(flight);
    return this.#flights.size < MAX_BATCHES_IN_FLIGHT;
  }

  // From a caller's own request: a batch leaves after this turn, so that the
  // operations of the turn go together.
  #pump() {
    if (!this.#mayLeave(Date.now())) return;
    this.#leading = Date.now();
    queueMicrotask(() => this.#send());
  }

  // A batch came back, in the request that sent it: the next one leaves from there,
  // or from the newest waiting caller's request once this one has sent for CHAIN_MS.
  #next(chainStart) {
    const now = Date.now();
    if (!this.#mayLeave(now)) return undefined;
    if (now - chainStart < CHAIN_MS) return this.#send(chainStart);
    this.#leading = now;
    this.#queue.at(-1).wake();
    return undefined;
  }

  /** Sends the next batch from the current request; resolves once it is answered and delivered (never rejects). */
  #send(chainStart = Date.now()) {
    this.#leading = null;
    if (this.#queue.length === 0) return undefined;
    const flight = { startedAt: Date.now() };
    this.#flights.add(flight);
    const answered = this.#call(takeBatch(this.#queue)).finally(() => {
      this.#flights.delete(flight);
      return this.#next(chainStart);
    });
    keepAlive(answered);
    if (this.#mayLeave(Date.now())) this.#send(chainStart); // more than a batch's worth waiting: the next one alongside
    return answered;
  }

  /** One batch RPC from the current request, its results delivered to its callers; never rejects. */
  #call(batch) {
    let call;
    try {
      this.#objectId ??= this.#namespace.idFromName(this.#name);
      call = Promise.resolve(this.#namespace.get(this.#objectId).batch(batch.map((item) => item.op)));
    } catch (error) {
      call = Promise.reject(error);
    }
    return call
      .then((results) => {
        if (!Array.isArray(results) || results.length !== batch.length) throw new Error("the replay guard object answered a batch with the wrong number of results");
        return Promise.all(batch.map((item, i) => this.#deliver(item, results[i])));
      })
      .catch((error) => batch.forEach((item) => this.#settle(item, error, true)));
  }

  #deliver(item, result) {
    if (result !== null && typeof result === "object" && typeof result.error === "string") {
      return this.#settle(item, new TypeError(result.error), true);
    }
    if (!item.settled) return this.#settle(item, result, false);
    // The caller gave up (WAIT_MS) before this claim landed: release it, so that the
    // same body can be retried. Sent from here, inside this batch's waitUntil.
    if (item.op.op === "begin" && result?.state === "first") {
      return Promise.resolve()
        .then(() => this.#namespace.get(this.#objectId).batch([{ op: "release", id: item.op.id }]))
        .catch(() => {});
    }
    return undefined;
  }

  #settle(item, value, failed) {
    if (item.settled) return;
    item.settled = true;
    if (item.wait !== null && --item.wait.pending === 0) clearTimeout(item.wait.timer);
    if (failed) item.reject(value);
    else item.resolve(value);
  }

  // WAIT_MS passed: the caller fails as a call that timed out. Still queued, it is
  // taken out; already sent, a first claim that lands later is released (#deliver).
  #giveUp(item) {
    if (item.settled) return;
    const index = this.#queue.indexOf(item);
    if (index !== -1) this.#queue.splice(index, 1);
    this.#settle(item, new Error(`the replay guard object did not answer within ${WAIT_MS} ms`), true);
  }
}

/**
 * Whether a promise settled from another request runs its continuations in the
 * request that made it (workerd's handle_cross_request_promise_resolution, the default
 * since 2024-10-14): only then does one request carry the calls of others.
 */
let crossRequest;
const acrossRequests = () => (crossRequest ??= globalThis.Cloudflare?.compatibilityFlags?.handle_cross_request_promise_resolution === true);

/** Keeps the request that sent a batch alive until the batch is answered, where the runtime can. */
function keepAlive(promise) {
  try {
    workers.waitUntil?.(promise);
  } catch {
    // outside a request, or a runtime without it: the callers' own waits keep it alive
  }
}
