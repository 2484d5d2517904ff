// DenoKvReplayGuard: claims in Deno KV, atomic across isolates and processes.
import { hasExpired, ttlOf } from "./claim.js";

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
