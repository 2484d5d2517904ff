// ed25519 sign and verify, ops/s, on one message (the quoted "hash_z…" cojson signs),
// one key, every implementation in the same process, repetitions interleaved.
import sodium from "libsodium-wrappers";
import * as noble from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { compare, emit, log, ROOT } from "../lib/measure.mjs";

const { core } = await import(ROOT + "js-glue/src/entries/node.js");
await sodium.ready;
noble.hashes.sha512 = sha512;
const cojson = await WasmCrypto.create();

const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff);
const hash = core.secureHash('{"bench":true}');
const message = new TextEncoder().encode(JSON.stringify(hash)); // "\"hash_z…\""
const { signerSecret, signerID } = core.signKeypair(seed);

// keys for each implementation, from the same seed
const sodiumKeys = sodium.crypto_sign_seed_keypair(seed);
const publicKey = sodiumKeys.publicKey;
const pkcs8 = Uint8Array.from([...Buffer.from("302e020100300506032b657004220420", "hex"), ...seed]);
const subtle = globalThis.crypto.subtle;
const wcPrivate = await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
const wcPublic = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);

// every implementation makes the same signature (ed25519 is deterministic)
const signature = core.signDetached(message, seed);
const hex = (b) => Buffer.from(b).toString("hex");
const expected = hex(signature);
const checks = {
  libsodium: hex(sodium.crypto_sign_detached(message, sodiumKeys.privateKey)),
  webcrypto: hex(new Uint8Array(await subtle.sign("Ed25519", wcPrivate, message))),
  noble: hex(noble.sign(message, seed)),
};
for (const [name, sig] of Object.entries(checks)) {
  if (sig !== expected) throw new Error(`${name} made another signature than ours`);
}
const cojsonSignature = cojson.sign(signerSecret, hash);
if (cojsonSignature !== core.sign(signerSecret, JSON.stringify(hash))) throw new Error("cojson signed otherwise");
if (!cojson.verify(cojsonSignature, hash, signerID)) throw new Error("cojson does not verify");
if (!core.verify(cojsonSignature, JSON.stringify(hash), signerID)) throw new Error("ours does not verify cojson's");
const hashJson = JSON.stringify(hash);
const ok = (v) => {
  if (v !== true) throw new Error("a verification failed");
  return v;
};

log("ed25519 sign");
const sign = await compare({
  ours_wasm: { fn: () => core.signDetached(message, seed) },
  ours_wasm_cojson_api: { fn: () => core.sign(signerSecret, hashJson) },
  libsodium_wrappers: { fn: () => sodium.crypto_sign_detached(message, sodiumKeys.privateKey) },
  webcrypto_awaited: { kind: "awaited", fn: () => subtle.sign("Ed25519", wcPrivate, message) },
  webcrypto_64_in_flight: { kind: "inflight", fn: () => subtle.sign("Ed25519", wcPrivate, message) },
  noble_ed25519: { fn: () => noble.sign(message, seed) },
  cojson_wasm_crypto: { fn: () => cojson.sign(signerSecret, hash) },
});
log("ed25519 verify");
const verify = await compare({
  ours_wasm: { fn: () => ok(core.verifyDetached(signature, message, publicKey)) },
  ours_wasm_cojson_api: { fn: () => ok(core.verify(cojsonSignature, hashJson, signerID)) },
  libsodium_wrappers: { fn: () => ok(sodium.crypto_sign_verify_detached(signature, message, publicKey)) },
  webcrypto_awaited: { kind: "awaited", fn: async () => ok(await subtle.verify("Ed25519", wcPublic, signature, message)) },
  webcrypto_64_in_flight: {
    kind: "inflight",
    fn: async () => ok(await subtle.verify("Ed25519", wcPublic, signature, message)),
  },
  noble_ed25519: { fn: () => ok(noble.verify(signature, message, publicKey)) },
  cojson_wasm_crypto: { fn: () => ok(cojson.verify(cojsonSignature, hash, signerID)) },
});
emit({ message_bytes: message.length, sign, verify });
process.exit(0);
