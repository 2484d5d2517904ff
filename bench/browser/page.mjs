// The page of bench/parts/browser.mjs, in headless Chromium: jazzrpc's core (the glue's
// ES modules unbundled, the wasm fetched and instantiated by init(fetch(url))) against
// libsodium.js (libsodium-wrappers' ESM build, its wasm inlined). bench/parts/browser.mjs
// drives it through globalThis.bench: load() times a cold start in a fresh page, setup()
// makes the keys and checks that both sides agree, run() times sign or verify.
import { compare, round } from "./measure.mjs";

const GLUE = "/js-glue/src/entries/default.js";
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

let state = null;

globalThis.bench = {
  /**
   * A cold start, in a page that has loaded nothing else. ours: import the glue (bundleUrl:
   * the jazzrpc/browser entry bundled and minified by esbuild, what a page ships), then
   * init(fetch(wasmUrl)) until the Core is ready; libsodium.js: import libsodium-wrappers,
   * then `await sodium.ready` (its wasm is inlined in libsodium.mjs and starts instantiating
   * while the module is evaluated, so only import + ready is a whole figure).
   */
  async load(which, wasmUrl, bundleUrl) {
    const t0 = performance.now();
    if (which === "ours") {
      const { init } = await import(bundleUrl);
      const t1 = performance.now();
      const core = await init(fetch(wasmUrl));
      const t2 = performance.now();
      if (core.signDetached(new Uint8Array(1), new Uint8Array(32)).length !== 64) throw new Error("ours: no signature");
      return { import_ms: round(t1 - t0), init_ms: round(t2 - t1), total_ms: round(t2 - t0) };
    }
    const { default: sodium } = await import("libsodium-wrappers");
    const t1 = performance.now();
    await sodium.ready;
    const t2 = performance.now();
    if (sodium.crypto_sign_detached(new Uint8Array(1), sodium.crypto_sign_seed_keypair(new Uint8Array(32)).privateKey).length !== 64) {
      throw new Error("libsodium.js: no signature");
    }
    return { import_ms: round(t1 - t0), ready_ms: round(t2 - t1), total_ms: round(t2 - t0) };
  },

  /** Loads both, makes the keys from one seed, and checks that both sign alike and verify each other. */
  async setup({ wasmUrl, seedHex, messageHex, signerSecret, spec }) {
    const { init } = await import(GLUE);
    const core = await init(fetch(wasmUrl));
    const { default: sodium } = await import("libsodium-wrappers");
    await sodium.ready;
    const seed = fromHex(seedHex);
    const message = fromHex(messageHex);
    const keys = sodium.crypto_sign_seed_keypair(seed);
    const ourKeys = core.signKeypair(seed);
    const fail = (what) => {
      throw new Error(`check failed: ${what}`);
    };
    if (ourKeys.signerSecret !== signerSecret) fail("signKeypair(seed) in the page gives another signerSecret than in Node");
    if (ourKeys.signerID !== "signer_z" + core.base58Encode(keys.publicKey)) fail("our signerID is not libsodium.js's public key");

    const ours = core.signDetached(message, seed);
    const theirs = sodium.crypto_sign_detached(message, keys.privateKey);
    if (toHex(ours) !== toHex(theirs)) fail("ours and libsodium.js make different signatures");
    if (sodium.crypto_sign_verify_detached(ours, message, keys.publicKey) !== true) fail("libsodium.js does not verify our signature");
    if (core.verifyDetached(theirs, message, keys.publicKey) !== true) fail("ours does not verify libsodium.js's signature");
    const bad = ours.slice();
    bad[10] ^= 1;
    if (core.verifyDetached(bad, message, keys.publicKey) !== false) fail("ours verifies a changed signature");
    if (sodium.crypto_sign_verify_detached(bad, message, keys.publicKey) !== false) fail("libsodium.js verifies a changed signature");

    // What a client does: a Signer opened once (the secret expanded in module memory),
    // then signMessage for each request (canonical value, BLAKE3, one ed25519 signature).
    const signer = core.openSigner(signerSecret);
    if (signer.signerID !== ourKeys.signerID) fail("openSigner's signerID");
    const body = core.signMessage(signer, spec);
    const checked = core.verifyMessage(body, { kind: spec.kind, url: spec.url, workerId: spec.workerId }, { now: spec.createdAt });
    if (!checked.ok || checked.signerID !== ourKeys.signerID) fail(`the signed message does not verify: ${checked.message}`);
    // signDetached(msg, signer): the open Signer's expanded key, no derivation per signature
    // (libsodium.js's crypto_sign_detached with its 64-byte key does the same), where the
    // glue has it; an older glue takes seeds only and throws.
    let bySigner = null;
    try {
      bySigner = core.signDetached(message, signer);
    } catch {}
    if (bySigner !== null && toHex(bySigner) !== toHex(ours)) fail("signDetached(msg, signer) makes another signature");

    state = { core, sodium, seed, message, keys, signature: ours, signer, spec, signerDetached: bySigner !== null };
    return {
      signature: toHex(ours),
      signed_message_bytes: new TextEncoder().encode(body).length,
      signer_detached: bySigner !== null,
      memory_bytes: core.memoryBytes,
      user_agent: navigator.userAgent,
      cross_origin_isolated: globalThis.crossOriginIsolated === true,
    };
  },

  /** ops/s of sign or verify, ours and libsodium.js interleaved. */
  async run(op, { seconds, reps }) {
    const { core, sodium, seed, message, keys, signature, signer, spec, signerDetached } = state;
    const ok = (v) => {
      if (v !== true) throw new Error("a verification failed");
      return v;
    };
    if (op === "sign") {
      return compare(
        {
          ours_wasm: () => core.signDetached(message, seed),
          libsodium_wrappers: () => sodium.crypto_sign_detached(message, keys.privateKey),
          ...(signerDetached ? { ours_signer_detached: () => core.signDetached(message, signer) } : {}),
          // like for like with signDetached, which derives the key from the seed at every call
          libsodium_wrappers_from_seed: () => sodium.crypto_sign_detached(message, sodium.crypto_sign_seed_keypair(seed).privateKey),
          ours_signer_message: () => core.signMessage(signer, spec),
        },
        { seconds, reps },
      );
    }
    return compare(
      {
        ours_wasm: () => ok(core.verifyDetached(signature, message, keys.publicKey)),
        libsodium_wrappers: () => ok(sodium.crypto_sign_verify_detached(signature, message, keys.publicKey)),
      },
      { seconds, reps },
    );
  },
};
