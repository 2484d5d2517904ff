// Replay sets (src/replay_set.cpp): the ids claimed in one set of the core, each held
// until its expiresAt. The memory guard and the Durable Object keep theirs here.
import { JazzRpcError } from "./errors.js";
import { finite, string } from "./arguments.js";

/** The ids claimed in one core replay set, each held until its expiresAt. */
export class ReplaySet {
  #abi;
  #handle;
  #forget;

  /** Made by Core#createReplaySet. */
  constructor(abi, handle, forget) {
    this.#abi = abi;
    this.#handle = handle;
    this.#forget = forget;
  }

  #live() {
    if (this.#handle === 0) throw new Error("jazzrpc: this ReplaySet was freed");
    return this.#handle;
  }

  /** true the first time id is claimed while live; false when it was seen (or expiresAt <= now). */
  claim(id, expiresAt, now) {
    const result = this.#abi.claim(this.#live(), string(id, "id"), finite(expiresAt, "expiresAt"), finite(now, "now"));
    if (result < 0) throw JazzRpcError.fromStatus(-result);
    return result === 1;
  }

  /** Forgets a live id so that it can be claimed again; true when it was live. */
  release(id) {
    const result = this.#abi.release(this.#live(), string(id, "id"));
    if (result < 0) throw JazzRpcError.fromStatus(-result);
    return result === 1;
  }

  /** Ids held now. */
  get count() {
    return this.#abi.call("jazzrpc_replay_count", this.#live());
  }

  /** Bytes of module memory the set holds. */
  get bytes() {
    return this.#abi.call("jazzrpc_replay_bytes", this.#live());
  }

  /** Releases the set's memory; the set is unusable afterwards. Safe to call twice. */
  free() {
    if (this.#handle === 0) return;
    this.#abi.call("jazzrpc_replay_destroy", this.#handle);
    this.#handle = 0;
    this.#forget();
  }
}

/**
 * A new set in the core of `abi`; `registry` (the Core's) destroys it when the set is
 * garbage-collected unfreed.
 */
export function createReplaySet(abi, registry) {
  const handle = abi.check("jazzrpc_replay_create");
  const set = new ReplaySet(
    {
      call: (name, ...args) => abi.call(name, ...args),
      claim: (h, id, expiresAt, now) => claimId(abi, h, id, expiresAt, now),
      release: (h, id) => releaseId(abi, h, id),
    },
    handle,
    () => registry.unregister(set),
  );
  registry.register(set, handle, set);
  return set;
}

// One call per request: the id is written into the scratch block without a copy in
// JavaScript (abi.writeId), or, when it may not fit, passed through abi.call().
function claimId(abi, handle, id, expiresAt, now) {
  const length = abi.writeId(id);
  return length < 0
    ? abi.call("jazzrpc_replay_claim", handle, id, expiresAt, now)
    : abi.exports.jazzrpc_replay_claim(handle, abi.scratch, length, expiresAt, now);
}

function releaseId(abi, handle, id) {
  const length = abi.writeId(id);
  return length < 0 ? abi.call("jazzrpc_replay_release", handle, id) : abi.exports.jazzrpc_replay_release(handle, abi.scratch, length);
}
