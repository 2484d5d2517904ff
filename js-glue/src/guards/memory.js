// MemoryReplayGuard: the wasm replay set, for one instance (the default guard), with
// the state and stored answer of each id it holds, all forgotten with the window; the
// stored answers' total bytes capped, the oldest dropped first.
import { getCore } from "../core/wasm.js";
import { ANSWER_NOT_STORED, FIRST, RUNNING, SEEN, done, hasExpired } from "./claim.js";
import { SlidingLogs, checkRate, limited } from "../rpc/rate-limit.js";

const ENTRY_BYTES = 96; // a Map entry and its record, estimated
/** The default cap on the stored answers' total bytes: 64 MiB. */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** The default cap on ids kept past their window for their answers (answerTtlMs): 200,000. */
export const DEFAULT_MAX_KEPT_IDS = 200_000;
const DROPPED = done(null, ANSWER_NOT_STORED);

/**
 * The wasm replay set, for one instance (one process or isolate). The default guard.
 *
 * Bounds: each claimed id (about 50 bytes in the wasm set, about 96 more for its state)
 * is held until its expiresAt; a done id and its answer are kept until the route's
 * keepUntil (answerTtlMs, 24 h by default), so that a body past its window still gets
 * its answer. Ids past their window are kept up to `maxKeptIds` (default 200,000),
 * the oldest forgotten first (such a body is then refused as expired). The stored answers (each up to the
 * route's `maxStoredAnswerBytes`, counted as 2 bytes per character of the body plus 64)
 * are held in total to `maxAnswerBytes` (default 64 MiB): past it, the oldest answers
 * are dropped first. A dropped answer's id stays claimed, done: its duplicates get
 * `{ state: "done", answer: null, reason: "ERR_ANSWER_NOT_STORED" }`, a definitive
 * answer, and never run the handler again. `bytes` and `answerBytes` report what is held.
 *
 * Clocks: one process, one clock (`now`, which the route gives its default guard): the
 * route refuses a body once that clock passes its expiresAt, so an id needs no margin
 * beyond it here.
 *
 * Rate limits (the route's `rateLimit`, begin()'s `rate` option): a sliding window log
 * per key, checked and updated in the same synchronous step as the claim: an id claimed
 * before is answered its state without counting; else the key's log is counted and,
 * when it holds `requests` times within the last `perMs` ms, begin() answers
 * `{ state: "limited", retryAfterMs }` and the id is not claimed. Bounds: 8 bytes per
 * counted request (at most `requests` per key) and about 64 per key, each key forgotten
 * once its last request has left its window (swept at most once a second, in the order
 * of the keys' last requests); `rateBytes` reports them.
 */
export class MemoryReplayGuard {
  #set;
  #now;
  #entries = new Map(); // id -> { expiresAt, answer: undefined (running) | null | answer, dropped? }, in claim order
  #stored = new Map(); // id -> its entry, for each id whose answer is held, in the order they were stored
  #answerBytes = 0;
  #maxAnswerBytes;
  #maxKeptIds;
  #rates = new SlidingLogs();

  /**
   * @param {{ now?: () => number, maxAnswerBytes?: number }} [options]
   *   now: the clock (default Date.now); maxAnswerBytes: the cap on the stored answers'
   *   total bytes (an integer, 0 or more; default 64 MiB; 0 keeps none); maxKeptIds:
   *   how many ids past their window are kept for their answers (default 200,000).
   */
  constructor(options = {}) {
    const max = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new TypeError(`MemoryReplayGuard: option 'maxAnswerBytes' must be an integer number of bytes, 0 or more, got ${String(max)}`);
    }
    const kept = options.maxKeptIds ?? DEFAULT_MAX_KEPT_IDS;
    if (!Number.isSafeInteger(kept) || kept < 0) throw new TypeError(`MemoryReplayGuard: option 'maxKeptIds' must be an integer, 0 or more, got ${String(kept)}`);
    this.#maxKeptIds = kept;
    this.#set = getCore().createReplaySet();
    this.#now = options.now ?? Date.now;
    this.#maxAnswerBytes = max;
  }

  /**
   * First claim of id, or the state of its earlier claim. options.rate ({ key, requests,
   * perMs }): a first claim is counted in the key's window, or refused without claiming
   * ({ state: "limited", retryAfterMs }) when the window is full.
   */
  async begin(id, expiresAt, options) {
    const now = this.#now();
    this.#sweep(now);
    const rate = checkRate(options?.rate, "MemoryReplayGuard");
    const kept = this.#entries.get(id);
    // Done and kept past its window (answerTtlMs): its answer, whatever the set remembers
    // (an idempotency key's claim is claimed again by later bodies).
    if (kept !== undefined && kept.answer !== undefined) return kept.dropped ? DROPPED : done(kept.answer);
    if (this.#set.claim(id, expiresAt, now)) {
      // A first claim: counted, or given back at once (same synchronous step, nothing interleaves).
      if (rate !== null) {
        const wait = this.#rates.take(rate.key, rate.requests, rate.perMs, now);
        if (wait > 0) {
          this.#set.release(id);
          return limited(wait);
        }
      }
      return this.#claimed(id, expiresAt);
    }
    const entry = this.#entries.get(id);
    // Held by the set but no state: forgotten at the kept-ids cap; it never runs again.
    if (entry === undefined) return hasExpired(expiresAt, now) ? SEEN : DROPPED;
    if (entry.dropped) return DROPPED;
    return entry.answer === undefined ? RUNNING : done(entry.answer);
  }

  #claimed(id, expiresAt) {
    this.#forget(id); // an expired entry the sweep has not reached yet: its answer goes with it
    this.#entries.set(id, { expiresAt, keepUntil: expiresAt, answer: undefined });
    return FIRST;
  }

  /** Counts rate limits (begin()'s `rate` option). */
  get rateLimits() {
    return true;
  }

  /** Bytes held by the rate limits' windows. */
  get rateBytes() {
    return this.#rates.bytes;
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /** The id's state without claiming it: a body past its window looks up its answer. */
  async lookup(id) {
    this.#sweep(this.#now());
    const entry = this.#entries.get(id);
    if (entry === undefined) return SEEN;
    if (entry.dropped) return DROPPED;
    return entry.answer === undefined ? RUNNING : done(entry.answer);
  }

  /** Stores the answer of a claimed id (null: done, not stored), kept until options.keepUntil. */
  async complete(id, answer, _expiresAt, options = {}) {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.answer !== undefined) return false;
    entry.answer = answer ?? null;
    if (Number.isFinite(options.keepUntil)) entry.keepUntil = Math.max(entry.keepUntil, options.keepUntil);
    if (entry.answer !== null) {
      this.#answerBytes += sizeOf(entry.answer);
      this.#stored.set(id, entry);
      this.#dropOldest();
    }
    return true;
  }

  // Past the cap, the oldest stored answers go first; their ids stay claimed, done.
  #dropOldest() {
    for (const [id, entry] of this.#stored) {
      if (this.#answerBytes <= this.#maxAnswerBytes) break;
      this.#answerBytes -= sizeOf(entry.answer);
      entry.answer = null;
      entry.dropped = true;
      this.#stored.delete(id);
    }
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    this.#forget(id);
    return this.#set.release(id);
  }

  // Entries come in claim order, which is nearly keepUntil order: forget from the front
  // while past their keepUntil (one kept longer holds the ones behind it for its
  // difference), and the oldest past their window while over maxKeptIds.
  #sweep(now) {
    for (const [id, entry] of this.#entries) {
      const overCap = this.#entries.size > this.#maxKeptIds && entry.expiresAt < now;
      if (entry.keepUntil >= now && !overCap) break;
      this.#forget(id);
    }
  }

  #forget(id) {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#answerBytes -= sizeOf(entry.answer);
    this.#entries.delete(id);
    this.#stored.delete(id);
  }

  /** Live ids. */
  get size() {
    return this.#set.count;
  }
  /** Bytes held: the wasm set, the state of each id and the stored answers. */
  get bytes() {
    return this.#set.bytes + this.#entries.size * ENTRY_BYTES + this.#answerBytes;
  }
  /** Bytes of the stored answers alone, at most maxAnswerBytes. */
  get answerBytes() {
    return this.#answerBytes;
  }
  /** The cap on answerBytes. */
  get maxAnswerBytes() {
    return this.#maxAnswerBytes;
  }
}

/** An answer's bytes, estimated: 2 per character of its body (a string's worst case), plus its record. */
const sizeOf = (answer) => (answer ? 2 * answer.body.length + 64 : 0);
