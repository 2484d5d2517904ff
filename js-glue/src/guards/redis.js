// RedisReplayGuard: claims shared by every process that uses one Redis server (or
// cluster). One round trip per state change: a script claims an id or reads its state
// in one atomic step, with the key's expiry set on Redis's own clock; `SET key done XX
// KEEPTTL` stores the answer under the claim's expiry; `DEL` releases.
import { FIRST, decodeState, encodeState, hasExpired, holdUntil, skewOption } from "./claim.js";

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

// KEYS[1] the id's key, ARGV[1] the running value, ARGV[2] until when to hold the id (ms
// since the epoch). The earlier state when there is one (a string); else, when that time
// has already passed on Redis's clock, Redis's time (an integer) and nothing is written;
// else the claim is written with PXAT, which Redis evaluates on its own clock (nil).
const BEGIN = new Script(`local previous = redis.call("GET", KEYS[1])
if previous then return previous end
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if tonumber(ARGV[2]) <= now then return now end
redis.call("SET", KEYS[1], ARGV[1], "PXAT", ARGV[2])
return false`);
// Deletes KEYS[1] only while it still holds ARGV[1] (this claim's own running value).
const RELEASE_IF_OURS = new Script('if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0');
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
  #now;
  #skewMs;
  /**
   * @param {{ client: any, prefix?: string, now?: () => number, skewMs?: number }} options
   *   prefix: of every key (default "jazzrpc:seen:"); now: this server's clock (default
   *   Date.now); skewMs: the margin added to each id's life, at least the route's `skew`
   *   (default 10,000, the route's default skew).
   */
  constructor({ client, prefix = "jazzrpc:seen:", now = Date.now, skewMs } = {}) {
    if (!client) throw new TypeError("RedisReplayGuard: a connected Redis client is required");
    this.#command = redisCommander(client);
    this.#prefix = prefix;
    this.#now = now;
    this.#skewMs = skewOption("RedisReplayGuard", skewMs);
  }

  #key(id) {
    return `${this.#prefix}{${id}}`;
  }

  async #eval(script, key, args) {
    const sha = await script.digest();
    try {
      return await this.#command(key, ["EVALSHA", sha, "1", key, ...args]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String(error?.message))) throw error;
    }
    return this.#command(key, ["EVAL", script.text, "1", key, ...args]);
  }

  /** First claim of id, or the state of its earlier claim, in one atomic round trip. */
  async begin(id, expiresAt) {
    if (hasExpired(expiresAt, this.#now())) return decodeState(null);
    const key = this.#key(id);
    const until = holdUntil(expiresAt, this.#skewMs);
    // The running value carries this claim's own token: a claim whose reply is lost
    // (the connection fails after the server ran the script) is undone only if it is still ours.
    const value = JSON.stringify({ state: "running", token: randomToken() });
    let previous;
    try {
      previous = await this.#eval(BEGIN, key, [value, String(until)]);
    } catch (error) {
      await this.#eval(RELEASE_IF_OURS, key, [value]).catch(() => {});
      throw error;
    }
    if (previous === null || previous === undefined) return FIRST;
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

  /** Stores the answer of a claimed id (null: done, not stored), under the claim's expiry. */
  async complete(id, answer, _expiresAt) {
    const key = this.#key(id);
    return (await this.#command(key, ["SET", key, encodeState("done", answer), "XX", "KEEPTTL"])) === "OK";
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    const key = this.#key(id);
    return Number(await this.#command(key, ["DEL", key])) === 1;
  }
}
