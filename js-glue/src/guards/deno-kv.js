// DenoKvReplayGuard: claims in Deno KV, atomic across isolates and processes: an
// atomic check that the key has no version yet claims an id; its state is read
// when the check fails, and the answer stored with the same expiry.
import { FIRST, SEEN, decodeState, hasExpired, holdUntil, skewOption, ttlOf } from "./claim.js";

/**
 * Replay guard over Deno KV (a local KV file shared by processes, or Deno Deploy's KV):
 * an atomic check that the id's key has no version yet claims it.
 *
 * Bounds: one entry per claimed id (its state, then its stored answer, up to the route's
 * `maxStoredAnswerBytes`), kept until `expiresAt + skewMs` and then dropped by KV's
 * expiry (`expireIn`). KV's expiry is lazy: an entry past that time may still be read,
 * and is then claimed anew over its versionstamp.
 *
 * Clocks: a server accepts a body until its own clock reads the body's `expiresAt`. KV
 * offers no clock to read, so each entry's life is `expireIn: expiresAt + skewMs - now`
 * from the claiming server's clock, which KV turns back into the absolute time
 * `expiresAt + skewMs`: every server whose clock is within `skewMs` of the claiming
 * server's (and of the store's) finds the id still held for as long as it accepts the
 * body. Before any write, begin() refuses (`{ state: "seen" }`) an id whose `expiresAt`
 * has passed on this server's clock (`now`); the route refused such a body already.
 */
export class DenoKvReplayGuard {
  #kv;
  #prefix;
  #now;
  #skewMs;
  /**
   * @param {{ kv: any, prefix?: string[], now?: () => number, skewMs?: number }} options
   *   kv: a Deno.Kv (Deno.openKv()); prefix: of every key (default ["jazzrpc", "seen"]);
   *   now: this server's clock (default Date.now); skewMs: the margin added to each id's
   *   life, at least the route's `skew` (default 10,000, the route's default skew).
   */
  constructor({ kv, prefix = ["jazzrpc", "seen"], now = Date.now, skewMs } = {}) {
    if (!kv) throw new TypeError("DenoKvReplayGuard: a Deno.Kv is required");
    this.#kv = kv;
    this.#prefix = prefix;
    this.#now = now;
    this.#skewMs = skewOption("DenoKvReplayGuard", skewMs);
  }

  /** First claim of id, or the state of its earlier claim. */
  async begin(id, expiresAt) {
    const now = this.#now();
    if (hasExpired(expiresAt, now)) return SEEN;
    const key = [...this.#prefix, id];
    const until = holdUntil(expiresAt, this.#skewMs);
    const running = { state: "running", expiresAt, heldUntil: until };
    const result = await retryWhenLocked(() =>
      this.#kv.atomic().check({ key, versionstamp: null }).set(key, running, { expireIn: ttlOf(until, now) }).commit(),
    );
    if (result.ok) return FIRST;
    // KV's expiry is lazy: an entry past its time may still be there. Such an id is
    // forgotten for us too: it is claimed anew over the same versionstamp.
    const existing = await this.#kv.get(key);
    if (existing.value === null) return SEEN; // deleted meanwhile: a claim raced this one
    const heldUntil = existing.value.heldUntil ?? existing.value.expiresAt; // an entry of an older version: no margin
    if (!(heldUntil >= now)) {
      const renewed = await retryWhenLocked(() =>
        this.#kv.atomic().check(existing).set(key, running, { expireIn: ttlOf(until, now) }).commit(),
      );
      return renewed.ok ? FIRST : SEEN;
    }
    return decodeState(existing.value);
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /** Stores the answer of a claimed id (null: done, not stored), until expiresAt + skewMs. */
  async complete(id, answer, expiresAt) {
    const key = [...this.#prefix, id];
    const until = holdUntil(expiresAt, this.#skewMs);
    await retryWhenLocked(() =>
      this.#kv.set(key, { state: "done", answer: answer ?? null, expiresAt, heldUntil: until }, { expireIn: ttlOf(until, this.#now()) }),
    );
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
