// Signers: a signer secret decoded and expanded once, held in module memory behind a
// handle, so that signMessage skips deriving the public key (a scalar multiplication)
// for every message. Wiped when closed, or when the Signer is garbage-collected.
//
// What only this module can do with a Signer: make one (openSigner passes MINT) and
// read its handle for the core that opened it (signerHandle). JavaScript outside cannot
// build a Signer from a number, subclass one into being, or read or borrow a handle
// (issue 17.5): a handle is given only for the exports of the core that opened it,
// which no code outside that core holds.
import { string } from "./arguments.js";

const MINT = Symbol("jazzrpc.Signer");
const signers = new WeakMap(); // Signer -> { owner: Core's exports, handle, close }

/** A secret expanded once in module memory (Core#openSigner); signMessage takes it in place of the secret. */
export class Signer {
  /** Made by Core#openSigner only. */
  constructor(mint, owner, handle, signerID, close) {
    if (mint !== MINT || new.target !== Signer) throw new TypeError("jazzrpc: a Signer is made by core.openSigner(signerSecret)");
    signers.set(this, { owner, handle, close });
    /** "signer_z…": the public key */
    this.signerID = signerID;
  }

  /** Wipes the secret from module memory; the signer is unusable afterwards. Safe to call twice. */
  close() {
    const state = signers.get(this);
    if (state === undefined || state.handle === 0) return;
    const handle = state.handle;
    state.handle = 0;
    state.close(handle);
  }
}

/**
 * Opens a signer in the core of `abi`; `registry` (the Core's) closes it when the
 * Signer is garbage-collected unclosed.
 */
export function openSigner(abi, registry, signerSecret) {
  const x = abi.exports;
  const handle = abi.check("jazzrpc_signer_open", string(signerSecret, "signerSecret"));
  let signerID;
  try {
    abi.check("jazzrpc_signer_id", handle);
    signerID = abi.outputText();
  } catch (error) {
    x.jazzrpc_signer_close(handle);
    throw error;
  }
  const signer = new Signer(MINT, x, handle, signerID, (h) => {
    registry.unregister(signer);
    x.jazzrpc_signer_close(h);
  });
  registry.register(signer, handle, signer);
  return signer;
}

/** The handle of a Signer the core `owner` (its exports) opened; throws for anything else. */
export function signerHandle(signer, owner) {
  const state = signers.get(signer);
  if (state === undefined || state.owner !== owner) throw new TypeError("jazzrpc: not a Signer of this core (make one with core.openSigner)");
  if (state.handle === 0) throw new Error("jazzrpc: this Signer was closed");
  return state.handle;
}
