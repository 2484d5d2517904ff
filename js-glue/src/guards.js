// Replay guards: one interface, `claim(id, expiresAt) -> Promise<boolean>`, true for
// the first claim of an id only, and `release(id)`, which forgets a claim whose
// handler never started. The guard is the authority on which ids were seen;
// handle() fails closed (503) when it throws or does not answer in time, and
// releases a claim that lands after it gave up, so the client's retry of the same
// body can succeed. Every guard refuses an id whose expiresAt has passed.

import { getCore } from "./wasm.js";

/** The wasm replay set, for one instance. The default. */
export class MemoryReplayGuard {
  #set;
  #now;
  /** @param {{ now?: () => number }} [options] */
  constructor(options = {}) {
    this.#set = getCore().createReplaySet();
    this.#now = options.now ?? Date.now;
  }
  async claim(id, expiresAt) {
    return this.#set.claim(id, expiresAt, this.#now());
  }
  /** Forgets a claim whose handler never started. */
  async release(id) {
    return this.#set.release(id);
  }
  /** Live ids and the bytes they hold. */
  get size() {
    return this.#set.count;
  }
  get bytes() {
    return this.#set.bytes;
  }
}

const ttlOf = (expiresAt, now) => Math.max(1, Math.ceil(expiresAt - now));
/** As the core's replay set and the envelope window: an id is live until expiresAt, inclusive. */
const hasExpired = (expiresAt, now) => !(expiresAt >= now);

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

/** Deno KV: an atomic check that the key has no version yet, with expireIn. */
export class DenoKvReplayGuard {
  #kv;
  #prefix;
  #now;
  /** @param {{ kv: any, prefix?: string[], now?: () => number }} options */
  constructor({ kv, prefix = ["jazzrpc", "seen"], now = Date.now }) {
    if (!kv) throw new TypeError("DenoKvReplayGuard: a Deno.Kv is required");
    this.#kv = kv;
    this.#prefix = prefix;
    this.#now = now;
  }
  async claim(id, expiresAt) {
    const now = this.#now();
    if (hasExpired(expiresAt, now)) return false;
    const key = [...this.#prefix, id];
    let result;
    for (let attempt = 1; ; attempt++) {
      try {
        result = await this.#kv
          .atomic()
          .check({ key, versionstamp: null })
          .set(key, expiresAt, { expireIn: ttlOf(expiresAt, now) })
          .commit();
        break;
      } catch (error) {
        // A local KV file shared by processes answers "database is locked" under
        // contention; the atomic write did not happen, so trying again is safe.
        if (attempt >= 20 || !/locked|busy/i.test(String(error?.message))) throw error;
        await new Promise((resolve) => setTimeout(resolve, attempt * 2));
      }
    }
    if (result.ok) return true;
    // KV's expiry is lazy: an entry past its time may still be there. Such an id
    // is expired for us too (the window check refuses its request), so it stays refused.
    return false;
  }
  /** Forgets a claim whose handler never started. */
  async release(id) {
    await this.#kv.delete([...this.#prefix, id]);
    return true;
  }
}

/**
 * Runs guard.claim with a deadline; rejects when the guard fails or is late. A
 * claim that lands after the deadline is released (guard.release), so that the
 * 503 handle() answered can be retried with the same body.
 */
export function claimWithin(guard, id, expiresAt, timeoutMs) {
  let timer;
  let late = false;
  const claim = Promise.resolve().then(() => guard.claim(id, expiresAt));
  claim.then(
    (first) => {
      if (late && first === true) return Promise.resolve().then(() => guard.release?.(id)).catch(() => {});
    },
    () => {},
  );
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new Error(`replay guard did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return Promise.race([claim, deadline]).finally(() => clearTimeout(timer));
}
