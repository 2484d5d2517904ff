// Replay guards: one interface, `claim(id, expiresAt) -> Promise<boolean>`, true for
// the first claim of an id only. The guard is the authority on which ids were seen;
// handle() fails closed (503) when it throws or does not answer in time.

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
  /** Live ids and the bytes they hold. */
  get size() {
    return this.#set.count;
  }
  get bytes() {
    return this.#set.bytes;
  }
}

const ttlOf = (expiresAt, now) => Math.max(1, Math.ceil(expiresAt - now));

/**
 * Redis `SET key 1 NX PX ttl`, atomic across every process that shares the server.
 * `client` is a connected node-redis (v4+) or ioredis client.
 */
export class RedisReplayGuard {
  #client;
  #prefix;
  #now;
  /** @param {{ client: any, prefix?: string, now?: () => number }} options */
  constructor({ client, prefix = "jazzrpc:seen:", now = Date.now }) {
    if (!client) throw new TypeError("RedisReplayGuard: a connected Redis client is required");
    this.#client = client;
    this.#prefix = prefix;
    this.#now = now;
  }
  async claim(id, expiresAt) {
    const ttl = ttlOf(expiresAt, this.#now());
    const args = ["SET", this.#prefix + id, "1", "NX", "PX", String(ttl)];
    const client = this.#client;
    let reply;
    if (typeof client.sendCommand === "function") reply = await client.sendCommand(args); // node-redis
    else if (typeof client.call === "function") reply = await client.call(...args); // ioredis
    else throw new TypeError("RedisReplayGuard: unsupported client (node-redis or ioredis expected)");
    return reply === "OK";
  }
}

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
    const key = [...this.#prefix, id];
    let result;
    for (let attempt = 1; ; attempt++) {
      try {
        result = await this.#kv
          .atomic()
          .check({ key, versionstamp: null })
          .set(key, expiresAt, { expireIn: ttlOf(expiresAt, this.#now()) })
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
}

/** Runs guard.claim with a deadline; rejects when the guard fails or is late. */
export function claimWithin(guard, id, expiresAt, timeoutMs) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`replay guard did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(() => guard.claim(id, expiresAt)), deadline]).finally(() =>
    clearTimeout(timer),
  );
}
