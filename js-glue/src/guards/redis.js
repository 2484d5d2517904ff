// RedisReplayGuard: claims shared by every process that uses one Redis server.
// One round trip per state change: `SET key running NX GET PX ttl` claims an id or
// reads its state in one atomic step (Redis 7); `SET key done XX PX ttl` stores the answer.
import { FIRST, decodeState, encodeState, hasExpired, ttlOf } from "./claim.js";

const RELEASE_IF_OURS = 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0';
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
 * `client` is a connected node-redis (v4+, `createClient` or `createCluster`) or ioredis
 * (`new Redis()` or `new Redis.Cluster()`) client, of a Redis 7 server.
 */
export class RedisReplayGuard {
  #command;
  #prefix;
  #now;
  /** @param {{ client: any, prefix?: string, now?: () => number }} options */
  constructor({ client, prefix = "jazzrpc:seen:", now = Date.now } = {}) {
    if (!client) throw new TypeError("RedisReplayGuard: a connected Redis client is required");
    this.#command = redisCommander(client);
    this.#prefix = prefix;
    this.#now = now;
  }

  /** First claim of id, or the state of its earlier claim, in one atomic round trip. */
  async begin(id, expiresAt) {
    const now = this.#now();
    if (hasExpired(expiresAt, now)) return decodeState(null);
    const key = this.#prefix + id;
    // The running value carries this claim's own token: a claim whose reply is lost
    // (the connection fails after the server ran SET) is undone only if it is still ours.
    const value = JSON.stringify({ state: "running", token: randomToken() });
    let previous;
    try {
      previous = await this.#command(key, ["SET", key, value, "NX", "GET", "PX", String(ttlOf(expiresAt, now))]);
    } catch (error) {
      await this.#command(key, ["EVAL", RELEASE_IF_OURS, "1", key, value]).catch(() => {});
      throw error;
    }
    return previous === null || previous === undefined ? FIRST : decodeState(String(previous));
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /** Stores the answer of a claimed id (null: done, not stored), until the id expires. */
  async complete(id, answer, expiresAt) {
    const ttl = ttlOf(expiresAt, this.#now());
    const key = this.#prefix + id;
    return (await this.#command(key, ["SET", key, encodeState("done", answer), "XX", "PX", String(ttl)])) === "OK";
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    const key = this.#prefix + id;
    return Number(await this.#command(key, ["DEL", key])) === 1;
  }
}
