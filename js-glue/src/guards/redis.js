// RedisReplayGuard: claims shared by every process that uses one Redis server (or
// cluster). One round trip per state change: a script claims an id or reads its state
// in one atomic step, with the key's expiry set on Redis's own clock; `SET key done XX
// KEEPTTL` stores the answer under the claim's expiry; `DEL` releases.
import { DEFAULT_LEASE_MS, FIRST, LAPSED, decodeState, encodeState, hasExpired, holdUntil, skewOption } from "./claim.js";
import { checkRate, limited } from "../rpc/rate-limit.js";

/** A Lua script run by EVALSHA (EVAL when the server's script cache lacks it: NOSCRIPT). */
class Script {
  constructor(text) {
    this.text = text;
    this.sha = null;
  }
  async digest() {
    if (this.sha === null) {
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(this.text)));
      this.sha = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    return this.sha;
  }
}

// Redis's own clock, in ms, inside a script.
const NOW = `local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;
// KEYS[1] the id's key; ARGV[1] this claim's token, ARGV[2] until when to hold the id (ms
// since the epoch), ARGV[3] the lease (ms), ARGV[4] the stored state a lapsed claim
// becomes, kept ARGV[5] ms (the answers' time to live). The earlier state when there is one (a string), except a running claim whose
// lease has lapsed on Redis's clock (its process died): it becomes ARGV[4] and the
// script answers "lapsed". Else, when ARGV[2] has already passed on Redis's clock,
// Redis's time (an integer) and nothing is written; else the claim is written with
// PXAT, which Redis evaluates on its own clock, holding a lease (nil).
const BEGIN = new Script(`${NOW}
local previous = redis.call("GET", KEYS[1])
if previous then
  local ok, state = pcall(cjson.decode, previous)
  if ok and type(state) == "table" and state.state == "running" and tonumber(state.leaseUntil) and tonumber(state.leaseUntil) < now then
    local keep = math.max(tonumber(redis.call("PEXPIRETIME", KEYS[1])), now + tonumber(ARGV[5]))
    redis.call("SET", KEYS[1], ARGV[4], "PXAT", keep)
    return "lapsed"
  end
  return previous
end
if tonumber(ARGV[2]) <= now then return now end
redis.call("SET", KEYS[1], cjson.encode({ state = "running", token = ARGV[1], leaseUntil = now + tonumber(ARGV[3]) }), "PXAT", ARGV[2])
return false`);
// A rate limit's sliding window log, a sorted set at `key` of the ids counted (scored by
// Redis's time, ms): the ids that have left the window (score <= now - perMs) are
// removed; an id already in the window is not counted again; else, when the set holds
// `requests` ids, the script returns {"limited", ms until the oldest leaves}; else the id
// is added. The set expires perMs after its newest id.
const RATE = (key, requests, perMs, member) => `local per = tonumber(${perMs})
redis.call("ZREMRANGEBYSCORE", ${key}, "-inf", now - per)
if not redis.call("ZSCORE", ${key}, ${member}) then
  if redis.call("ZCARD", ${key}) >= tonumber(${requests}) then
    local oldest = redis.call("ZRANGE", ${key}, 0, 0, "WITHSCORES")
    return {"limited", tostring(tonumber(oldest[2]) + per - now)}
  end
  redis.call("ZADD", ${key}, now, ${member})
  redis.call("PEXPIRE", ${key}, per)
end`;
// BEGIN with a rate limit, in one script (one server: its keys may be in any slots):
// KEYS[2] the rate key, ARGV[6] requests, ARGV[7] perMs. An id claimed before answers its
// state and is not counted; a first claim is counted (ARGV[1]... as BEGIN) or refused
// with {"limited", ms}, unclaimed.
const BEGIN_LIMITED = new Script(BEGIN.text.replace(
  `if tonumber(ARGV[2]) <= now then return now end`,
  `if tonumber(ARGV[2]) <= now then return now end
${RATE("KEYS[2]", "ARGV[6]", "ARGV[7]", "ARGV[8]")}`,
));
// The rate window alone (a cluster: the rate key lives in the key's slot, not the id's):
// KEYS[1] the rate key, ARGV[1] requests, ARGV[2] perMs, ARGV[3] the id. 0 when counted.
const LIMIT = new Script(`${NOW}
${RATE("KEYS[1]", "ARGV[1]", "ARGV[2]", "ARGV[3]")}
return 0`);
// Deletes KEYS[1] only while it is still this claim's (its token ARGV[1]) and running.
const RELEASE_IF_OURS = new Script(`local v = redis.call("GET", KEYS[1])
if not v then return 0 end
local ok, state = pcall(cjson.decode, v)
if ok and type(state) == "table" and state.state == "running" and state.token == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`);
// Extends this claim's lease (token ARGV[1]) by ARGV[2] ms from now, while it runs.
const RENEW = new Script(`${NOW}
local v = redis.call("GET", KEYS[1])
if not v then return 0 end
local ok, state = pcall(cjson.decode, v)
if not (ok and type(state) == "table" and state.state == "running" and state.token == ARGV[1]) then return 0 end
state.leaseUntil = now + tonumber(ARGV[2])
redis.call("SET", KEYS[1], cjson.encode(state), "KEEPTTL")
return 1`);
// Stores the answer ARGV[1] over the claim (XX), kept until the later of ARGV[2] (the
// id's hold, ms since the epoch) and Redis's now + ARGV[3] (the answer's time to live).
const COMPLETE = new Script(`${NOW}
local keep = math.max(tonumber(ARGV[2]), now + tonumber(ARGV[3]))
local stored = redis.call("SET", KEYS[1], ARGV[1], "XX", "PXAT", keep)
if stored then return 1 end
return 0`);
const randomToken = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * How to send one command (an array of strings) with a given client, routed by its key:
 * - ioredis (`Redis` and `Cluster`): `call(command, ...args)`, its generic command (its
 *   `sendCommand` takes a Command object, not an array);
 * - node-redis v4 and v5 cluster (`createCluster`): `sendCommand(firstKey, isReadonly, args)`;
 * - node-redis v4 and v5 client (`createClient`): `sendCommand(args)`.
 * @returns {(key: string, args: string[]) => Promise<unknown>}
 */
function redisCommander(client) {
  if (client === null || (typeof client !== "object" && typeof client !== "function")) {
    throw new TypeError("RedisReplayGuard: option 'client' must be a connected Redis client (node-redis v4+ or ioredis)");
  }
  if (typeof client.call === "function") return (_key, args) => client.call(...args);
  if (typeof client.sendCommand === "function") {
    if (typeof client.getSlotMaster === "function" || Array.isArray(client.masters)) {
      return (key, args) => client.sendCommand(key, false, args);
    }
    return (_key, args) => client.sendCommand(args);
  }
  throw new TypeError(
    "RedisReplayGuard: unsupported client: expected node-redis v4+ (createClient or createCluster: sendCommand) or ioredis (new Redis() or new Redis.Cluster(): call)",
  );
}

/**
 * Replay guard over Redis 7, shared by every process and machine that uses one Redis
 * server or cluster.
 *
 * `client`: a connected node-redis v4+ client (`createClient` or `createCluster`) or an
 * ioredis one (`new Redis()` or `new Redis.Cluster()`).
 *
 * Bounds: one key per claimed id (its state, then its stored answer, up to the route's
 * `maxStoredAnswerBytes`), each held until `expiresAt + skewMs` on Redis's own clock and
 * then deleted by Redis. Keys are `<prefix>{<id>}`: the id is the hash tag, so each id's
 * state lives on one cluster node (a prefix must not hold braces).
 *
 * Rate limits (the route's `rateLimit`, begin()'s `rate` option): a sliding window log per
 * key, a sorted set `<ratePrefix>{<key>}` of the ids counted, scored by Redis's `TIME`. On
 * one server (a `createClient` or `new Redis()` client) the claim script checks the id,
 * counts the key's window and claims, in one atomic step and one round trip: an id
 * claimed before is answered without counting, and a first claim over the limit is
 * answered `{ state: "limited", retryAfterMs }` and not claimed. On a Cluster the id's
 * key and the rate key hash to different slots (a script may only touch one), so the
 * claim script runs in the id's slot and, for a first claim only, a second script counts
 * the window in the key's slot; over the limit, the claim is released (only while it is
 * still this claim's). It stays exact: only first claims reach the count, the count's
 * check and add are one atomic script on the one node that holds the key, and an id is
 * counted once per window however often it is claimed; meanwhile a copy of a refused id
 * may be told 409 and retries. Bounds: one sorted set per key with at most `requests`
 * members (each ~100 bytes with its id), expiring `perMs` after its newest.
 *
 * Clocks: a server accepts a body until its own clock reads the body's `expiresAt`
 * (its createdAt plus the route's window). The claim's expiry is set with PXAT, an
 * absolute time Redis evaluates on its clock, to `expiresAt + skewMs`: every server
 * whose clock is at most `skewMs` behind Redis's finds the id still held for as long as it
 * accepts the body, whatever the servers' clocks say to one another. A claim that Redis's
 * clock already puts past `expiresAt + skewMs` (this server's clock is more than
 * `skewMs` behind Redis's) is not written: begin() throws, handle() answers 503 and
 * reports the clock. Before any round trip, begin() refuses (`{ state: "seen" }`) an id
 * whose `expiresAt` has passed on this server's clock (`now`); the route refused such a
 * body already, so this check only ever refuses, it never lets a body run.
 */
export class RedisReplayGuard {
  #command;
  #prefix;
  #ratePrefix;
  #cluster;
  #now;
  #skewMs;
  #tokens = new Map(); // id -> the token of this guard's claim in flight (renew, release)
  /**
   * @param {{ client: any, prefix?: string, ratePrefix?: string, now?: () => number, skewMs?: number }} options
   *   prefix: of every id's key (default "jazzrpc:seen:"); ratePrefix: of every rate
   *   limit's key (default "jazzrpc:rate:"); now: this server's clock (default
   *   Date.now); skewMs: the margin added to each id's life, at least the route's `skew`
   *   (default 10,000, the route's default skew).
   */
  constructor({ client, prefix = "jazzrpc:seen:", ratePrefix = "jazzrpc:rate:", now = Date.now, skewMs } = {}) {
    if (!client) throw new TypeError("RedisReplayGuard: a connected Redis client is required");
    this.#command = redisCommander(client);
    // ioredis Cluster (isCluster), node-redis createCluster (getSlotMaster, masters).
    this.#cluster = client.isCluster === true || typeof client.getSlotMaster === "function" || Array.isArray(client.masters);
    this.#prefix = prefix;
    this.#ratePrefix = ratePrefix;
    this.#now = now;
    this.#skewMs = skewOption("RedisReplayGuard", skewMs);
  }

  #key(id) {
    return `${this.#prefix}{${id}}`;
  }

  async #eval(script, key, args, keys = [key]) {
    const sha = await script.digest();
    try {
      return await this.#command(key, ["EVALSHA", sha, String(keys.length), ...keys, ...args]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String(error?.message))) throw error;
    }
    return this.#command(key, ["EVAL", script.text, String(keys.length), ...keys, ...args]);
  }

  /** Counts rate limits (begin()'s `rate` option). */
  get rateLimits() {
    return true;
  }

  /**
   * First claim of id, or the state of its earlier claim, in one atomic round trip.
   * options: { leaseMs } the claim's lease (default 10 s), renewed by renew() while the
   * handler runs; { lapsedAnswer } what a running claim whose lease lapsed (its process
   * died) becomes: the route's ERR_OUTCOME_UNKNOWN answer, stored for every later copy.
   */
  async begin(id, expiresAt, options = {}) {
    if (hasExpired(expiresAt, this.#now())) return decodeState(null);
    const key = this.#key(id);
    const until = holdUntil(expiresAt, this.#skewMs);
    // The running value carries this claim's own token: a claim whose reply is lost
    // (the connection fails after the server ran the script) is undone only if it is still ours.
    const token = randomToken();
    const leaseMs = String(Math.max(1, Math.ceil(options.leaseMs ?? DEFAULT_LEASE_MS)));
    const lapsed = encodeState("done", options.lapsedAnswer ?? null);
    const rate = checkRate(options.rate, "RedisReplayGuard");
    const rateKey = rate === null ? null : `${this.#ratePrefix}{${rate.key}}`;
    let previous;
    try {
      const answerTtlMs = String(Math.max(1, Math.ceil(options.answerTtlMs ?? 1)));
      const args = [token, String(until), leaseMs, lapsed, answerTtlMs];
      previous =
        rate === null || this.#cluster
          ? await this.#eval(BEGIN, key, args)
          : await this.#eval(BEGIN_LIMITED, key, [...args, String(rate.requests), String(rate.perMs), id], [key, rateKey]);
      if (rate !== null && this.#cluster && (previous === null || previous === undefined)) {
        // A first claim on a cluster: counted in the key's own slot; over the limit, given back.
        const counted = await this.#eval(LIMIT, rateKey, [String(rate.requests), String(rate.perMs), id]);
        if (Array.isArray(counted)) {
          await this.#eval(RELEASE_IF_OURS, key, [token]);
          previous = counted;
        }
      }
    } catch (error) {
      await this.#eval(RELEASE_IF_OURS, key, [token]).catch(() => {});
      throw error;
    }
    if (previous === null || previous === undefined) {
      this.#tokens.set(id, token);
      return FIRST;
    }
    if (Array.isArray(previous) && String(previous[0]) === "limited") return limited(Number(previous[1]));
    if (previous === "lapsed") return LAPSED;
    if (typeof previous === "number" || typeof previous === "bigint") {
      throw new Error(
        `RedisReplayGuard: not claimed: the id's expiresAt + skewMs (${until}) has passed on Redis's clock (${previous}); ` +
          "this server's clock is more than skewMs behind Redis's",
      );
    }
    return decodeState(String(previous));
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /** Extends the lease of this guard's running claim of id by leaseMs (Redis's clock). */
  async renew(id, leaseMs) {
    const token = this.#tokens.get(id);
    if (token === undefined) return false;
    return Number(await this.#eval(RENEW, this.#key(id), [token, String(Math.max(1, Math.ceil(leaseMs)))])) === 1;
  }

  /**
   * Stores the answer of a claimed id (null: done, not stored), kept until the later of
   * the id's hold (expiresAt + skewMs) and Redis's now + options.answerTtlMs.
   */
  async complete(id, answer, expiresAt, options = {}) {
    this.#tokens.delete(id);
    const key = this.#key(id);
    const hold = Number.isFinite(expiresAt) ? holdUntil(expiresAt, this.#skewMs) : 0;
    const ttl = Math.max(1, Math.ceil(options.answerTtlMs ?? 0));
    return Number(await this.#eval(COMPLETE, key, [encodeState("done", answer), String(hold), String(ttl)])) === 1;
  }

  /** Forgets this guard's claim of id, whose handler never started or asked for a retry. */
  async release(id) {
    const token = this.#tokens.get(id);
    this.#tokens.delete(id);
    const key = this.#key(id);
    if (token === undefined) return Number(await this.#command(key, ["DEL", key])) === 1;
    return Number(await this.#eval(RELEASE_IF_OURS, key, [token])) === 1;
  }

  /** The id's state, without claiming it: a body past its window looks up its stored answer. */
  async lookup(id) {
    const key = this.#key(id);
    const text = await this.#command(key, ["GET", key]);
    return text === null || text === undefined ? decodeState(null) : decodeState(String(text));
  }
}
