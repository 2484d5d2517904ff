// The Worker side, per isolate: what every request of this isolate shares for one
// guard (namespace, name, shards): a lane per shard (lane.js) and the ids this isolate
// claimed (local-ids.js). See guards/durable-object.js for how the two work together.

import { FIRST, RUNNING, SEEN, done, holdUntil } from "../claim.js";
import { limited } from "../../rpc/rate-limit.js";
import { Lane } from "./lane.js";
import { LocalIds } from "./local-ids.js";
import { shardOf } from "./shards.js";

// namespace -> `${shards}:${name}` -> IsolateGuard: what every request of this isolate shares.
const isolates = new WeakMap();

export function isolateGuard(namespace, name, shards) {
  let byName = isolates.get(namespace);
  if (byName === undefined) isolates.set(namespace, (byName = new Map()));
  const key = `${shards}:${name}`;
  let guard = byName.get(key);
  if (guard === undefined) byName.set(key, (guard = new IsolateGuard(namespace, name, shards)));
  return guard;
}

/** One guard's lanes (one per shard) and the ids this isolate claimed through it. */
class IsolateGuard {
  #namespace;
  #name;
  #shards;
  #lanes = []; // made on first use
  #local = new LocalIds();

  constructor(namespace, name, shards) {
    this.#namespace = namespace;
    this.#name = name;
    this.#shards = shards;
  }

  #lane(id, index = this.#shards === 1 ? 0 : shardOf(String(id), this.#shards)) {
    return (this.#lanes[index] ??= new Lane(this.#namespace, `${this.#name}:${index}`));
  }

  async begin(id, expiresAt, options, skewMs, clock) {
    const now = clock();
    if (typeof expiresAt === "number" && expiresAt < now) return SEEN; // the route refused it already: this only ever refuses
    const known = this.#local.get(id, now);
    if (known !== undefined && (known.done || known.leaseUntil >= now)) return known.done ? done(known.answer) : RUNNING;
    const { leaseMs, keepUntil, lapsedAnswer, answerTtlMs, rate } = options ?? {};
    const op = { op: "begin", id, expiresAt, holdUntil: typeof expiresAt === "number" ? holdUntil(expiresAt, skewMs) : expiresAt };
    if (leaseMs !== undefined) op.leaseMs = leaseMs;
    if (keepUntil !== undefined) op.keepUntil = keepUntil;
    if (lapsedAnswer !== undefined) op.lapsedAnswer = lapsedAnswer;
    if (answerTtlMs !== undefined) op.answerTtlMs = answerTtlMs;
    // A rate limit's window lives in the shard its key hashes to: counted in the claim's
    // own transaction when that is the id's shard too, else by a second call (below).
    const apart = rate != null && this.#shardOf(rate.key) !== this.#shardOf(id);
    if (rate != null && !apart) op.rate = rate;
    let result = await this.#deferred(id, await this.#lane(id).run(op));
    if (apart && result?.state === "first") result = await this.#countApart(id, rate);
    if (result?.state === "first") {
      const t = clock();
      this.#local.claimed(id, expiresAt, leaseMs === undefined ? Infinity : t + leaseMs, t);
    }
    return result;
  }

  #shardOf(id) {
    return this.#shards === 1 ? 0 : shardOf(String(id), this.#shards);
  }

  // A first claim counted in the window of another shard (its key's): over the limit, or
  // when the count fails, the claim is given back (released at the id's object).
  async #countApart(id, rate) {
    let counted;
    try {
      counted = await this.#lane(`rate:${rate.key}`, this.#shardOf(rate.key)).run({ op: "limit", id, rate });
      if (typeof counted?.error === "string") throw new TypeError(counted.error);
    } catch (error) {
      await this.#lane(id).run({ op: "release", id }).catch(() => {});
      throw error;
    }
    if (counted?.counted === true) return FIRST;
    await this.#lane(id).run({ op: "release", id });
    return limited(counted.retryAfterMs);
  }

  // A stored answer that did not fit in its batch's reply: asked for alone, from this request.
  async #deferred(id, result) {
    if (result?.deferred !== true) return result;
    const index = this.#shards === 1 ? 0 : shardOf(String(id), this.#shards);
    const [state] = await this.#namespace.get(this.#namespace.idFromName(`${this.#name}:${index}`)).batch([{ op: "lookup", id }]);
    if (state?.error) throw new TypeError(state.error);
    return state;
  }

  async complete(id, answer, options, clock) {
    const op = { op: "complete", id, answer: answer ?? null };
    if (options?.keepUntil !== undefined) op.keepUntil = options.keepUntil;
    if (options?.answerTtlMs !== undefined) op.answerTtlMs = options.answerTtlMs;
    let stored;
    try {
      stored = await this.#lane(id).run(op);
    } catch (error) {
      this.#local.forget(id); // its state at the object is not known
      throw error;
    }
    if (stored === true) {
      const t = clock();
      const ttl = Number.isFinite(options?.answerTtlMs) ? t + options.answerTtlMs : -Infinity;
      this.#local.completed(id, answer ?? null, Math.max(options?.keepUntil ?? -Infinity, ttl), t);
    }
    else this.#local.forget(id);
    return stored;
  }

  /** Extends the lease of a claim this isolate runs (here and at the object). */
  renew(id, leaseMs, clock) {
    this.#local.renewed(id, clock() + leaseMs);
    return this.#lane(id).run({ op: "renew", id, leaseMs });
  }

  /** An id's state without claiming it: from this isolate when it completed the id, else from the object. */
  async lookup(id, clock) {
    const known = this.#local.get(id, clock());
    if (known?.done) return done(known.answer);
    return this.#deferred(id, await this.#lane(id).run({ op: "lookup", id }));
  }

  release(id) {
    this.#local.forget(id);
    return this.#lane(id).run({ op: "release", id });
  }
}
