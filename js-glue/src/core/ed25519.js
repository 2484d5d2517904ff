// ed25519 (libsodium): identities, and signatures of bytes.
import { bytesOf, fixedBytes, string } from "./arguments.js";
import { PointerOnly } from "./abi-caller.js";
import { Signer, signerHandle } from "./signer.js";

/** A new identity {signerSecret, signerID}; from a 32-byte seed when given, else from host randomness. */
export function signKeypair(abi, seed) {
  if (seed === undefined) abi.check("jazzrpc_sign_keypair");
  else abi.check("jazzrpc_sign_seed_keypair", new PointerOnly(fixedBytes(seed, 32, "seed")));
  const { signerSecret, signerID } = JSON.parse(abi.outputText(true));
  return { signerSecret, signerID };
}

/** "signer_z…" of a "signerSecret_z…". */
export function signerID(abi, signerSecret) {
  abi.check("jazzrpc_sign_signer_id", string(signerSecret, "signerSecret"));
  return abi.outputText();
}

/**
 * A 64-byte ed25519 signature of msg by the key of a 32-byte seed, or by an open Signer
 * of this core (its key expanded once: no derivation per signature).
 */
export function signDetached(abi, msg, key) {
  if (key instanceof Signer) {
    abi.check("jazzrpc_signer_sign_detached", signerHandle(key, abi.exports), bytesOf(msg, "msg"));
  } else {
    abi.check("jazzrpc_sign_detached", bytesOf(msg, "msg"), new PointerOnly(fixedBytes(key, 32, "seed32")));
  }
  return abi.outputBytes();
}

/** true when sig is a valid signature of msg by publicKey; false for any failure. */
export function verifyDetached(abi, sig, msg, publicKey) {
  const args = [bytesOf(sig, "sig"), bytesOf(msg, "msg"), bytesOf(publicKey, "publicKey")];
  return abi.call("jazzrpc_sign_verify_detached", ...args) === 0;
}
