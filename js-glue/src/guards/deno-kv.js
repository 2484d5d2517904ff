// DenoKvReplayGuard: claims in Deno KV, atomic across isolates and processes: an
// atomic check that the key has no version yet claims an id; its state is read
// when the check fails, and the answer stored with the same expiry.
import { FIRST, SEEN, decodeState, hasExpired, ttlOf } from "./claim.js";

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

  /** First claim of id, or the state of its earlier claim. */
  async begin(id, expiresAt) {
    const now = this.#now();
    if (hasExpired(expiresAt, now)) return SEEN;
    const key = [...this.#prefix, id];
    const result = await retryWhenLocked(() =>
      this.#kv.atomic().check({ key, versionstamp: null }).set(key, { state: "running", expiresAt }, { expireIn: ttlOf(expiresAt, now) }).commit(),
    );
    if (result.ok) return FIRST;
    // KV's expiry is lazy: an entry past its time may still be there. Such an id is
    // forgotten for us too: it is claimed anew over the same versionstamp.
    const existing = await this.#kv.get(key);
    if (existing.value === null) return SEEN; // deleted meanwhile: a claim raced this one
    if (!(existing.value.expiresAt >= now)) {
      const renewed = await retryWhenLocked(() =>
        this.#kv.atomic().check(existing).set(key, { state: "running", expiresAt }, { expireIn: ttlOf(expiresAt, now) }).commit(),
      );
      return renewed.ok ? FIRST : SEEN;
    }
    return decodeState(existing.value);
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /** Stores the answer of a claimed id (null: done, not stored), until the id expires. */
  async complete(id, answer, expiresAt) {
    const key = [...this.#prefix, id];
    await retryWhenLocked(() => this.#kv.set(key, { state: "done", answer: answer ?? null, expiresAt }, { expireIn: ttlOf(expiresAt, this.#now()) }));
    return true;
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    await this.#kv.delete([...this.#prefix, id]);
    return true;
  }
}

// A local KV file shared by processes answers "database is locked" under
// contention; the write did not happen, so trying again is safe.
async function retryWhenLocked(write) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= 20 || !/locked|busy/i.test(String(error?.message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 2));
    }
  }
}
