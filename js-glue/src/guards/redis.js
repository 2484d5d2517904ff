// RedisReplayGuard: claims shared by every process that uses one Redis server.
// One round trip per state change: `SET key running NX GET PX ttl` claims an id or
// reads its state in one atomic step (Redis 7); `SET key done XX PX ttl` stores the answer.
import { FIRST, decodeState, encodeState, hasExpired, ttlOf } from "./claim.js";

const RELEASE_IF_OURS = 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0';
const randomToken = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * `client` is a connected node-redis (v4+) or ioredis client, of a Redis 7 server.
 */
export class RedisReplayGuard {
  #client;
  #prefix;
  #now;
  /** @param {{ client: any, prefix?: string, now?: () => number }} options */
  constructor({ client, prefix = "jazzrpc:seen:", now = Date.now }) {
    if (!client) throw new TypeError("RedisReplayGuard: a connected Redis client is required");
    if (typeof client.sendCommand !== "function" && typeof client.call !== "function") {
      throw new TypeError("RedisReplayGuard: unsupported client (node-redis or ioredis expected)");
    }
    this.#client = client;
    this.#prefix = prefix;
    this.#now = now;
  }

  #command(args) {
    const client = this.#client;
    return typeof client.sendCommand === "function" ? client.sendCommand(args) : client.call(...args);
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
      previous = await this.#command(["SET", key, value, "NX", "GET", "PX", String(ttlOf(expiresAt, now))]);
    } catch (error) {
      await this.#command(["EVAL", RELEASE_IF_OURS, "1", key, value]).catch(() => {});
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
    return (await this.#command(["SET", this.#prefix + id, encodeState("done", answer), "XX", "PX", String(ttl)])) === "OK";
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    return Number(await this.#command(["DEL", this.#prefix + id])) === 1;
  }
}
