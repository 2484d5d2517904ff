// durableObjectReplayGuard(): the guard a Worker passes to handle(), over a namespace of
// replay-guard objects (guard-object.js), its calls made through the isolate's cache and
// lanes (isolate-guard.js).

import { skewOption } from "../claim.js";
import { isolateGuard } from "./isolate-guard.js";
import { MAX_SHARDS, shardOf } from "./shards.js";

/**
 * A replay guard over a ReplayGuardDurableObject namespace. Ids are spread over
 * `shards` objects (named `${name}:0` … `${name}:${shards - 1}`) by a hash of the id;
 * each shard's object is the authority on its ids. Calls from one isolate to one shard
 * are coalesced into batch RPCs, and the isolate answers duplicates of the ids it
 * claimed itself without a round trip (see guards/durable-object.js). Changing `shards`
 * moves ids to other objects: an id claimed before the change could be claimed once
 * more during the window that follows it.
 *
 * Clocks: each id is held until its expiresAt + `skewMs` (default 10 s, the route's
 * default skew) on the object's own clock, and its answer until the keepUntil that
 * complete() gives; a claim whose expiresAt + skewMs has already passed on the object's
 * clock (this Worker's clock is more than skewMs behind it) is refused, and handle()
 * answers 503. begin() refuses an id whose expiresAt has passed on this Worker's clock
 * (`now`) without a round trip.
 * @param {DurableObjectNamespace} namespace the binding of a ReplayGuardDurableObject class
 * @param {{ shards?: number, name?: string, skewMs?: number, now?: () => number }} [options]
 */
export function durableObjectReplayGuard(namespace, options = {}) {
  const { shards = 1, name = "jazzrpc-replay", now = Date.now } = options;
  if (!namespace || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new TypeError("durableObjectReplayGuard: a Durable Object namespace binding is required");
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new TypeError(`durableObjectReplayGuard: shards must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
  }
  if (typeof name !== "string" || name.length === 0) throw new TypeError("durableObjectReplayGuard: name must be a non-empty string");
  if (typeof now !== "function") throw new TypeError("durableObjectReplayGuard: option 'now' must be a function returning ms since the epoch");
  const skewMs = skewOption("durableObjectReplayGuard", options.skewMs);
  const isolate = isolateGuard(namespace, name, shards);
  const begin = (id, expiresAt, opts) => isolate.begin(id, expiresAt, opts, skewMs, now);
  return Object.freeze({
    shards,
    skewMs,
    /** The shard that owns an id. */
    shardOf: (id) => shardOf(String(id), shards),
    /** The stub of one shard's object (for its stats()); made for the request that asks. */
    shard: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= shards) throw new RangeError(`no shard ${index} of ${shards}`);
      return namespace.get(namespace.idFromName(`${name}:${index}`));
    },
    begin,
    /** Counts rate limits (begin()'s `rate` option): see guards/durable-object.js. */
    rateLimits: true,
    claim: async (id, expiresAt) => (await begin(id, expiresAt))?.state === "first",
    complete: (id, answer, expiresAt, opts) => isolate.complete(id, answer, opts, now),
    renew: (id, leaseMs) => isolate.renew(id, leaseMs, now),
    lookup: (id) => isolate.lookup(id, now),
    release: (id) => isolate.release(id),
  });
}
