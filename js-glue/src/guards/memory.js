// MemoryReplayGuard: the wasm replay set, for one instance (the default guard).
import { getCore } from "../core/wasm.js";

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
