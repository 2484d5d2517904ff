// DenoKvReplayGuard: claims in Deno KV, atomic across isolates and processes: an
// atomic check that the key has no version yet claims an id; its state is read
// when the check fails, and the answer stored with the same expiry.
import { DEFAULT_LEASE_MS, FIRST, LAPSED, SEEN, decodeState, hasExpired, holdUntil, skewOption, ttlOf } from "./claim.js";

const randomToken = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

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
  #tokens = new Map(); // id -> the token of this guard's claim in flight (renew)
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

  /**
   * First claim of id, or the state of its earlier claim. options: { leaseMs } the
   * claim's lease, renewed by renew() while the handler runs; { lapsedAnswer } what a
   * running claim whose lease lapsed (by more than skewMs: servers' clocks differ)
   * becomes: the route's ERR_OUTCOME_UNKNOWN answer, stored for every later copy.
   */
  async begin(id, expiresAt, options = {}) {
    const now = this.#now();
    if (hasExpired(expiresAt, now)) return SEEN;
    const key = [...this.#prefix, id];
    const until = holdUntil(expiresAt, this.#skewMs);
    const token = randomToken();
    const running = { state: "running", expiresAt, heldUntil: until, token, leaseUntil: now + (options.leaseMs ?? DEFAULT_LEASE_MS) };
    const result = await retryWhenLocked(() =>
      this.#kv.atomic().check({ key, versionstamp: null }).set(key, running, { expireIn: ttlOf(until, now) }).commit(),
    );
    if (result.ok) {
      this.#tokens.set(id, token);
      return FIRST;
    }
    // KV's expiry is lazy: an entry past its time may still be there. Such an id is
    // forgotten for us too: it is claimed anew over the same versionstamp.
    const existing = await this.#kv.get(key);
    if (existing.value === null) return SEEN; // deleted meanwhile: a claim raced this one
    const heldUntil = existing.value.heldUntil ?? existing.value.expiresAt; // an entry of an older version: no margin
    if (!(heldUntil >= now)) {
      const renewed = await retryWhenLocked(() =>
        this.#kv.atomic().check(existing).set(key, running, { expireIn: ttlOf(until, now) }).commit(),
      );
      if (renewed.ok) this.#tokens.set(id, token);
      return renewed.ok ? FIRST : SEEN;
    }
    const value = existing.value;
    if (value.state === "running" && Number.isFinite(value.leaseUntil) && value.leaseUntil + this.#skewMs < now) {
      const keep = Math.max(heldUntil, now + (options.answerTtlMs ?? 0));
      const lapsed = { state: "done", answer: options.lapsedAnswer ?? null, expiresAt: value.expiresAt, heldUntil: keep };
      const turned = await retryWhenLocked(() => this.#kv.atomic().check(existing).set(key, lapsed, { expireIn: ttlOf(keep, now) }).commit());
      return turned.ok ? LAPSED : decodeState((await this.#kv.get(key)).value);
    }
    return decodeState(value);
  }

  /** Extends the lease of this guard's running claim of id by leaseMs. */
  async renew(id, leaseMs) {
    const token = this.#tokens.get(id);
    if (token === undefined) return false;
    const key = [...this.#prefix, id];
    const existing = await this.#kv.get(key);
    const value = existing.value;
    if (value?.state !== "running" || value.token !== token) return false;
    const now = this.#now();
    const renewed = await retryWhenLocked(() =>
      this.#kv.atomic().check(existing).set(key, { ...value, leaseUntil: now + leaseMs }, { expireIn: ttlOf(value.heldUntil ?? value.expiresAt, now) }).commit(),
    );
    return renewed.ok;
  }

  /** The id's state, without claiming it: a body past its window looks up its stored answer. */
  async lookup(id) {
    const { value } = await this.#kv.get([...this.#prefix, id]);
    return value === null ? SEEN : decodeState(value);
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /**
   * Stores the answer of a claimed id (null: done, not stored), kept until the later of
   * expiresAt + skewMs and options.keepUntil (the route's answerTtlMs).
   */
  async complete(id, answer, expiresAt, options = {}) {
    this.#tokens.delete(id);
    const key = [...this.#prefix, id];
    const until = holdUntil(expiresAt, this.#skewMs);
    const keep = Math.max(until, Number.isFinite(options.keepUntil) ? options.keepUntil : 0);
    await retryWhenLocked(() =>
      this.#kv.set(key, { state: "done", answer: answer ?? null, expiresAt, heldUntil: keep }, { expireIn: ttlOf(keep, this.#now()) }),
    );
    return true;
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    this.#tokens.delete(id);
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
