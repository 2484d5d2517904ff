// The isolate cache: the ids this isolate claimed, so that their duplicates are answered
// without a round trip to the object (see guards/durable-object.js).

/** Ids one isolate remembers having claimed, and the bytes of the answers it keeps for them. */
const LOCAL_IDS = 10_000;
const LOCAL_ANSWER_BYTES = 4 << 20;

/**
 * The ids this isolate claimed: running (with the lease it holds), or done with the
 * answer it stored, kept until the answer's keepUntil. Entries are dropped once past
 * their time (from the front, which is nearly in order), and past LOCAL_IDS ids or
 * LOCAL_ANSWER_BYTES of answers, the oldest go first.
 */
export class LocalIds {
  #entries = new Map(); // id -> { until, leaseUntil, done, answer, bytes }, in claim order
  #answerBytes = 0;

  /** The live entry of id, or undefined. A running entry whose lease has passed is still returned: the caller asks the object. */
  get(id, now) {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (!(entry.until >= now)) {
      this.#delete(id, entry);
      return undefined;
    }
    return entry;
  }

  claimed(id, expiresAt, leaseUntil, now) {
    for (const [oldId, entry] of this.#entries) {
      if (entry.until >= now && this.#entries.size < LOCAL_IDS) break;
      this.#delete(oldId, entry);
    }
    this.forget(id);
    this.#entries.set(id, { until: expiresAt, leaseUntil, done: false, answer: null, bytes: 0 });
  }

  renewed(id, leaseUntil) {
    const entry = this.#entries.get(id);
    if (entry !== undefined && !entry.done) entry.leaseUntil = Math.max(entry.leaseUntil, leaseUntil);
  }

  /** Keeps the answer this isolate stored for an id it is running (until keepUntil); an answer too large to keep forgets the id. */
  completed(id, answer, keepUntil, now) {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.done) return;
    const bytes = answer === null ? 0 : 2 * String(answer.body ?? "").length + 256;
    if (bytes > LOCAL_ANSWER_BYTES / 16) {
      this.#delete(id, entry);
      return;
    }
    entry.done = true;
    entry.answer = answer === null ? null : { ...answer, headers: { ...answer.headers } }; // every field the route stored (a fingerprint too)
    entry.bytes = bytes;
    if (Number.isFinite(keepUntil)) entry.until = Math.max(entry.until, keepUntil);
    // Kept at the end, as the newest: the front stays nearly in order of time.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    this.#answerBytes += bytes;
    for (const [oldId, old] of this.#entries) {
      if (this.#answerBytes <= LOCAL_ANSWER_BYTES && (old.until >= now || old === entry)) break;
      this.#delete(oldId, old);
    }
  }

  forget(id) {
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.#delete(id, entry);
  }

  #delete(id, entry) {
    this.#answerBytes -= entry.bytes;
    this.#entries.delete(id);
  }
}
