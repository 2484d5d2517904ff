// RedisReplayGuard: claims shared by every process that uses one Redis server.
import { hasExpired, ttlOf } from "./claim.js";

/**
 * Redis `SET key token NX PX ttl`, atomic across every process that shares the server.
 * `client` is a connected node-redis (v4+) or ioredis client.
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
  async claim(id, expiresAt) {
    const now = this.#now();
    if (hasExpired(expiresAt, now)) return false;
    const key = this.#prefix + id;
    // The value is this claim's own token: a claim whose reply is lost (the
    // connection fails after the server ran SET) is undone only if it is still ours.
    const token = randomToken();
    try {
      return (await this.#command(["SET", key, token, "NX", "PX", String(ttlOf(expiresAt, now))])) === "OK";
    } catch (error) {
      await this.#command(["EVAL", RELEASE_IF_OURS, "1", key, token]).catch(() => {});
      throw error;
    }
  }
  /** Forgets a claim whose handler never started. */
  async release(id) {
    return Number(await this.#command(["DEL", this.#prefix + id])) === 1;
  }
}

const RELEASE_IF_OURS = 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0';
const randomToken = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
