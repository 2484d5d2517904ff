// MemoryReplayGuard: the wasm replay set, for one instance (the default guard), with
// the state and stored answer of each id it holds, all forgotten with the window.
import { getCore } from "../core/wasm.js";
import { FIRST, RUNNING, SEEN, done } from "./claim.js";

const ENTRY_BYTES = 96; // a Map entry and its record, estimated

/** The wasm replay set, for one instance. The default. */
export class MemoryReplayGuard {
  #set;
  #now;
  #entries = new Map(); // id -> { expiresAt, answer: undefined (running) | null | answer }, in claim order
  #answerBytes = 0;

  /** @param {{ now?: () => number }} [options] */
  constructor(options = {}) {
    this.#set = getCore().createReplaySet();
    this.#now = options.now ?? Date.now;
  }

  /** First claim of id, or the state of its earlier claim. */
  async begin(id, expiresAt) {
    const now = this.#now();
    this.#sweep(now);
    if (this.#set.claim(id, expiresAt, now)) {
      this.#entries.set(id, { expiresAt, answer: undefined });
      return FIRST;
    }
    const entry = this.#entries.get(id);
    if (entry === undefined) return SEEN;
    return entry.answer === undefined ? RUNNING : done(entry.answer);
  }

  /** True for the first claim of an id only (the first interface). */
  async claim(id, expiresAt) {
    return (await this.begin(id, expiresAt)) === FIRST;
  }

  /** Stores the answer of a claimed id (null: done, not stored). */
  async complete(id, answer) {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.answer !== undefined) return false;
    entry.answer = answer ?? null;
    this.#answerBytes += sizeOf(entry.answer);
    return true;
  }

  /** Forgets a claim whose handler never started. */
  async release(id) {
    this.#forget(id);
    return this.#set.release(id);
  }

  // Entries come in claim order, which is nearly expiry order: forget from the front
  // while expired (one that expires later holds the ones behind it for its difference).
  #sweep(now) {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt >= now) break;
      this.#forget(id);
    }
  }

  #forget(id) {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#answerBytes -= sizeOf(entry.answer);
    this.#entries.delete(id);
  }

  /** Live ids. */
  get size() {
    return this.#set.count;
  }
  /** Bytes held: the wasm set, the state of each id and the stored answers. */
  get bytes() {
    return this.#set.bytes + this.#entries.size * ENTRY_BYTES + this.#answerBytes;
  }
  /** Bytes of the stored answers alone. */
  get answerBytes() {
    return this.#answerBytes;
  }
}

const sizeOf = (answer) => (answer ? 2 * answer.body.length + 64 : 0);
