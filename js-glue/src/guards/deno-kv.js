// DenoKvReplayGuard: claims in Deno KV, atomic across isolates and processes: an
// atomic check that the key has no version yet claims an id; its state is read
// when the check fails, and the answer stored with the same expiry.
import { DEFAULT_LEASE_MS, FIRST, LAPSED, SEEN, decodeState, hasExpired, holdUntil, skewOption, ttlOf } from "./claim.js";
import { checkRate, limited } from "../rpc/rate-limit.js";

/** The most requests a rate window holds on Deno KV: 8 bytes each, in one value of at most 64 KiB. */
export const MAX_KV_RATE_REQUESTS = 8_000;
/** Tries of the optimistic claim-and-count when other claims keep changing the window meanwhile. */
const RATE_TRIES = 64;

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
 *
 * Rate limits (the route's `rateLimit`, begin()'s `rate` option): a sliding window log per
 * key, one entry `[...prefix without its last part, "rate", key]` (by default
 * ["jazzrpc", "rate", key]) holding the times counted (8 bytes each, oldest first), read
 * with the id's entry and written with the claim in one atomic operation that checks both
 * versionstamps: an id claimed before answers its state and is not counted; a first claim
 * is counted, or refused (`{ state: "limited", retryAfterMs }`) and not claimed when the
 * window holds `requests` times of the last `perMs` ms. A commit that loses to another
 * claim of the same key reads both again and tries again (at most 64 times, then begin()
 * throws and handle() answers 503). Times are this server's clock (KV has none to read):
 * servers whose clocks differ move the window's edge by as much. Bounds: at most
 * `requests` (8,000 at most here: one value is at most 64 KiB) times per key, the entry
 * expiring `perMs` after its newest (`expireIn`).
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
    const rate = checkRate(options.rate, "DenoKvReplayGuard");
    if (rate !== null) return this.#beginCounted(id, key, rate, running, until, now, options);
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
    return this.#earlier(id, key, existing, running, until, now, options);
  }

  // A claim with a rate limit: the id's entry and the key's window read together, then
  // the claim and the window's new time written in one atomic check of both.
  async #beginCounted(id, key, rate, running, until, now, options) {
    if (rate.requests > MAX_KV_RATE_REQUESTS) throw new TypeError(`DenoKvReplayGuard: a rate limit of more than ${MAX_KV_RATE_REQUESTS} requests per window does not fit in one KV value`);
    const rateKey = [...this.#prefix.slice(0, -1), "rate", rate.key];
    for (let tries = 1; tries <= RATE_TRIES; tries++) {
      const [existing, log] = await this.#kv.getMany([key, rateKey]);
      const value = existing.value;
      // Held: its state, not counted (a lazily expired entry is claimed anew, and counted).
      if (value !== null && (value.heldUntil ?? value.expiresAt) >= now) return this.#earlier(id, key, existing, running, until, now, options);
      const times = timesOf(log.value).filter((t) => t + rate.perMs > now);
      if (times.length >= rate.requests) return limited(Math.min(...times) + rate.perMs - now); // the oldest (servers' clocks may differ)
      times.push(now);
      const result = await retryWhenLocked(() =>
        this.#kv
          .atomic()
          .check({ key, versionstamp: existing.versionstamp })
          .check({ key: rateKey, versionstamp: log.versionstamp })
          .set(key, running, { expireIn: ttlOf(until, now) })
          .set(rateKey, bytesOf(times), { expireIn: rate.perMs })
          .commit(),
      );
      if (result.ok) {
        this.#tokens.set(id, running.token);
        return FIRST;
      }
    }
    throw new Error(`DenoKvReplayGuard: the rate window of ${JSON.stringify(rate.key)} kept changing under ${RATE_TRIES} tries`);
  }

  /** Counts rate limits (begin()'s `rate` option). */
  get rateLimits() {
    return true;
  }

  // The state of an id held by an earlier claim (KV's lazy expiry: one past its time is
  // claimed anew; a running claim whose lease lapsed becomes the lapsed answer).
  async #earlier(id, key, existing, running, until, now, options) {
    const { token } = running;
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

/** A window's times (Float64, oldest first) from its stored bytes. */
function timesOf(value) {
  if (!(value instanceof Uint8Array) || value.byteLength % 8 !== 0) return [];
  return Array.from(new Float64Array(value.slice().buffer));
}
const bytesOf = (times) => new Uint8Array(new Float64Array(times).buffer);

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
