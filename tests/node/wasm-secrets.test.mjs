// Secrets leave no copy in the wasm's linear memory (issue 17.1).
//
// Each shipped module (js-glue/dist/jazzrpc.wasm, and the browser core
// jazzrpc-client.wasm for the paths it has) is instantiated here on its own, so that the
// test holds its memory, and driven through the glue's Core as users drive it.
// After each path that touches a secret, the instance's whole linear memory (data,
// heap, stack, the ABI's scratch block and output buffer) is scanned for any 8
// consecutive bytes of that path's seed, of its SHA-512 (the expanded ed25519 scalar
// and nonce key), and any 8 consecutive characters of the seed's base58 text. Each
// path uses a seed of its own, so a copy is blamed on the path that left it. The
// native build has its own check of freed memory (tests/native/test_secrets.cpp).
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { Core } from "../../js-glue/src/core/core.js";
import { hostImports } from "../../js-glue/src/core/host-imports.js";
import { refBase58Decode, refBase58Encode } from "./_support.mjs";

const CORES = [
  ["the server core", new URL("../../js-glue/dist/jazzrpc.wasm", import.meta.url)],
  ["the browser core", new URL("../../js-glue/dist/jazzrpc-client.wasm", import.meta.url)],
];
const NOW = 1_764_000_000_000;

// A fresh instance of a shipped module, with the host functions the glue gives it.
function instantiate(file) {
  const module = new WebAssembly.Module(readFileSync(file));
  let memory = null;
  const instance = new WebAssembly.Instance(module, hostImports(module, () => memory));
  memory = instance.exports.memory;
  instance.exports._initialize?.();
  assert.equal(instance.exports.jazzrpc_init(), 0);
  const browser = !("jazzrpc_replay_create" in instance.exports);
  return { core: new Core(instance.exports, browser ? "browser" : "server"), memory };
}

const seedOf = (label) => new Uint8Array(crypto.createHash("sha256").update(`jazzrpc wasm secrets: ${label}`).digest());
const secretOf = (seed) => `signerSecret_z${refBase58Encode(seed)}`;

// The 8-byte windows of everything secret about a seed.
function windowsOf(seed) {
  const windows = [];
  const add = (bytes, what) => {
    for (let at = 0; at + 8 <= bytes.length; at++) windows.push({ bytes: Buffer.from(bytes.subarray(at, at + 8)), what: `${what}[${at}..${at + 8})` });
  };
  add(seed, "seed");
  add(new Uint8Array(crypto.createHash("sha512").update(seed).digest()), "SHA-512 of the seed");
  add(new TextEncoder().encode(refBase58Encode(seed)), "base58 of the seed");
  return windows;
}

// Where, in the whole linear memory, any window of the seed's secrets is.
function findings(memory, seed) {
  const mem = Buffer.from(memory.buffer);
  const found = [];
  for (const { bytes, what } of windowsOf(seed)) {
    const at = mem.indexOf(bytes);
    if (at >= 0) found.push(`${what} at ${at}`);
  }
  return found;
}

const SPEC = (workerId) => ({ kind: "request", url: "/api/book", workerId, nonce: "zN1", value: { eventId: "e1", seats: [1, 2] }, createdAt: NOW });

// Each path: a label and what it does with its seed (and with a secret text, where it takes one).
const PATHS = [
  ["keygen from a seed (signKeypair(seed))", (core, seed) => assert.equal(core.signKeypair(seed).signerSecret, secretOf(seed))],
  ["signerID(secret)", (core, seed) => assert.match(core.signerID(secretOf(seed)), /^signer_z/)],
  ["sign(secret, json)", (core, seed) => assert.match(core.sign(secretOf(seed), '{"b":1,"a":[true,null]}'), /^signature_z/)],
  ["signDetached(msg, seed)", (core, seed) => assert.equal(core.signDetached(new Uint8Array([1, 2, 3]), seed).length, 64)],
  ["createAuthToken(secret, id, createdAt)", (core, seed) => assert.match(core.createAuthToken(secretOf(seed), "co_zAccount", NOW), /~co_zAccount~/)],
  ["signEnvelope(envelope, secret)", (core, seed) => {
    assert.ok(core.signEnvelope({ contentPieces: [{ a: 1 }], id: "co_zTest", createdAt: NOW }, secretOf(seed)).length > 0);
  }],
  ["signMessage(secret, spec)", (core, seed) => assert.ok(core.signMessage(secretOf(seed), SPEC("co_zWorker")).length > 0)],
  ["openSigner, signDetached(msg, signer), close", (core, seed) => {
    const signer = core.openSigner(secretOf(seed));
    assert.equal(core.signDetached(new Uint8Array([4, 5, 6]), signer).length, 64);
    signer.close();
  }],
  ["openSigner, signMessage(signer), signerID, close", (core, seed) => {
    const signer = core.openSigner(secretOf(seed));
    assert.equal(signer.signerID, core.signerID(secretOf(seed)));
    assert.ok(core.signMessage(signer, SPEC("co_zWorker")).length > 0);
    signer.close();
  }],
  ["a secret in an argument block of its own (over the 16 KiB scratch block), refused", (core, seed) => {
    assert.throws(() => core.signerID(secretOf(seed) + " ".repeat(20_000)));
  }],
  ["signMessage(secret, a 40 KB spec in a block of its own)", (core, seed) => {
    const spec = { ...SPEC("co_zWorker"), value: { text: "x".repeat(40_000) } };
    assert.ok(core.signMessage(secretOf(seed), spec).length > 40_000);
  }],
];

// The paths of the server core only (the browser core throws ERR_SERVER_CORE for them).
const SERVER_ONLY = new Set(["sign(secret, json)", "signEnvelope(envelope, secret)"]);

for (const [name, file] of CORES) {
  test(`${name}: no path that touches a secret leaves 8 bytes of it anywhere in the wasm's memory`, () => {
    const { core, memory } = instantiate(file);
    const report = [];
    for (const [label, run] of PATHS) {
      if (core.kind === "browser" && SERVER_ONLY.has(label)) continue;
      const seed = seedOf(label);
      assert.deepEqual(findings(memory, seed), [], `the seed of "${label}" is in memory before the path ran`);
      run(core, seed);
      const found = findings(memory, seed);
      if (found.length > 0) report.push(`${label}: ${found.length} windows, first ${found.slice(0, 3).join(", ")}`);
    }
    assert.deepEqual(report, [], `secrets left in the wasm's linear memory (${memory.buffer.byteLength} bytes):\n${report.join("\n")}`);
  });

  test(`${name}: a random keypair leaves no copy of its seed in the wasm's memory`, () => {
    const { core, memory } = instantiate(file);
    const found = [];
    for (let i = 0; i < 4; i++) {
      const { signerSecret } = core.signKeypair();
      found.push(...findings(memory, Uint8Array.from(refBase58Decode(signerSecret.slice("signerSecret_z".length)))));
    }
    assert.deepEqual(found, []);
  });

  test(`${name}: the scan sees a secret that is in the wasm's memory`, () => {
    // The check itself: an open signer holds its expanded key (seed, then public key).
    const { core, memory } = instantiate(file);
    const seed = seedOf("an open signer");
    const signer = core.openSigner(secretOf(seed));
    assert.ok(findings(memory, seed).some((f) => f.startsWith("seed")));
    signer.close();
  });
}
