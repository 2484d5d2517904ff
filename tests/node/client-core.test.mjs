// The browser core (js-glue/dist/jazzrpc-client.wasm, issue 18.2), beside the server core
// (js-glue/dist/jazzrpc.wasm), both instantiated here through the glue as users get them.
// The browser core computes libsodium's ed25519 base-point table on first use instead of
// shipping it (wasm/ed25519_base_table.inc) and reads JSON numbers through the host's
// Number() instead of fast_float (src/json.cpp): every key, signature and canonical text it
// makes must be the server core's, and each must accept what the other signed.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { instantiateSync } from "../../js-glue/src/core/instantiate.js";
import { CLIENT_EXPORTS, SERVER_EXPORTS } from "../../js-glue/src/core/abi.js";
import { hex, makeRng, vectorsURL } from "./_support.mjs";

const root = new URL("../../", import.meta.url);
const CLIENT_WASM = new URL("js-glue/dist/jazzrpc-client.wasm", root);
const server = instantiateSync(readFileSync(new URL("js-glue/dist/jazzrpc.wasm", root)));
const client = instantiateSync(readFileSync(CLIENT_WASM));
const NOW = 1_764_000_000_000;
const toHex = (bytes) => Buffer.from(bytes).toString("hex");

test("the browser core exports what wasm/exports-client.txt lists, CLIENT_EXPORTS names it, and it is a browser core", () => {
  const listed = readFileSync(new URL("wasm/exports-client.txt", root), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
  assert.deepEqual(CLIENT_EXPORTS.filter((n) => n !== "memory").sort(), [...listed].sort());
  const exported = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(CLIENT_WASM))).map((e) => e.name);
  for (const name of CLIENT_EXPORTS) assert.ok(exported.includes(name), `${name} missing from jazzrpc-client.wasm`);
  for (const name of SERVER_EXPORTS) assert.ok(!exported.includes(name), `${name} is a server export, in jazzrpc-client.wasm`);
  assert.equal(client.kind, "browser");
  assert.equal(server.kind, "server");
});

test("keys and signatures of the browser core are the server core's, for 400 random seeds and messages", () => {
  const rng = makeRng(0x18_02);
  for (let i = 0; i < 400; i++) {
    const seed = rng.bytes(32);
    const message = rng.bytes(i % 97);
    const keys = client.signKeypair(seed);
    assert.deepEqual(keys, server.signKeypair(seed), `keypair of seed ${toHex(seed)}`);
    assert.equal(client.signerID(keys.signerSecret), keys.signerID);
    const bySeed = client.signDetached(message, seed);
    assert.equal(toHex(bySeed), toHex(server.signDetached(message, seed)), `signature by seed ${toHex(seed)}`);
    const signer = client.openSigner(keys.signerSecret);
    assert.equal(toHex(client.signDetached(message, signer)), toHex(bySeed), "an open signer signs as its seed does");
    signer.close();
    const publicKey = crypto.createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKeyOf(keys.signerID)]), format: "der", type: "spki" });
    assert.ok(crypto.verify(null, message, publicKey, bySeed), "node:crypto verifies the browser core's signature");
    assert.equal(client.verifyDetached(bySeed, message, publicKeyOf(keys.signerID)), true);
    bySeed[i % 64] ^= 1 << (i % 8);
    assert.equal(client.verifyDetached(bySeed, message, publicKeyOf(keys.signerID)), false, "a changed signature is refused");
  }
});

function publicKeyOf(signerID) {
  return Buffer.from(server.base58Decode(signerID.slice("signer_z".length)));
}

test("Wycheproof ed25519: every case through the browser core's verifyDetached", () => {
  const file = JSON.parse(readFileSync(new URL("wycheproof_ed25519_test.json", vectorsURL), "utf8"));
  let cases = 0;
  for (const group of file.testGroups) {
    const pk = hex(group.publicKey.pk);
    for (const c of group.tests) {
      cases++;
      const got = client.verifyDetached(hex(c.sig), hex(c.msg), pk);
      assert.equal(got, c.result === "valid", `tcId ${c.tcId} (${c.comment}): ${c.result}, got ${got}`);
    }
  }
  assert.ok(cases > 100, `${cases} cases`);
});

test("RFC 8032 7.1 TEST 1-3: the browser core's keys and signatures", () => {
  const cases = [
    ["9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
    ["4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
    ["c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "af82", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"],
  ];
  for (const [seed, message, publicKey, signature] of cases) {
    const { signerID } = client.signKeypair(hex(seed));
    assert.equal(toHex(publicKeyOf(signerID)), publicKey);
    assert.equal(toHex(client.signDetached(hex(message), hex(seed))), signature);
    assert.equal(client.verifyDetached(hex(signature), hex(message), hex(publicKey)), true);
  }
});

// Values whose numbers take every path of the parser: small integers, and the rest (read
// by fast_float in the server core, by Number() in the browser core).
function numbersOf(rng) {
  const fixed = [0, -0, 1, -1, 0.1, 0.5, 1e21, 1e-7, 123456789012345680000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER,
    Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE, 1.7976931348623155e308, 9007199254740993, 0.30000000000000004, 1 / 3, Math.PI, -1e-300];
  const random = [];
  const view = new DataView(new ArrayBuffer(8));
  while (random.length < 200) {
    view.setUint32(0, rng.u32());
    view.setUint32(4, rng.u32());
    const x = view.getFloat64(0);
    if (Number.isFinite(x)) random.push(x);
  }
  return [...fixed, ...random];
}

const spec = (kind, workerId, value, extra = {}) => ({ kind, url: "/api/numbers", workerId, nonce: "zN1", value, createdAt: NOW, ...extra });

test("messages: the browser core signs what the server core accepts, and accepts what the server core signs, numbers of every kind included", () => {
  const rng = makeRng(0x5eed);
  const worker = server.signKeypair(rng.bytes(32));
  const workerId = server.accountId(worker.signerID);
  const owner = client.signKeypair(rng.bytes(32));
  const numbers = numbersOf(rng);
  for (let at = 0; at < numbers.length; at += 25) {
    const value = { numbers: numbers.slice(at, at + 25), nested: { n: numbers[at], list: [numbers[at + 1], { x: numbers[at + 2] }] } };
    const signer = client.openSigner(owner.signerSecret);
    const request = client.signMessage(signer, spec("request", workerId, value));
    signer.close();
    assert.equal(request, server.signMessage(owner.signerSecret, spec("request", workerId, value)), "the same body from both cores");
    const checked = server.verifyMessage(request, { kind: "request", url: "/api/numbers", workerId }, { now: NOW + 100 });
    assert.equal(checked.ok, true, `server core refused the browser core's request: ${checked.code}`);
    assert.deepEqual(checked.value, JSON.parse(JSON.stringify(value)));
    const response = server.signMessage(worker.signerSecret, spec("response", workerId, checked.value, { inResponseTo: checked.id }));
    const answer = client.verifyMessage(response, { kind: "response", url: "/api/numbers", workerId, inResponseTo: checked.id }, { now: NOW + 200 });
    assert.equal(answer.ok, true, `browser core refused the server core's answer: ${answer.code}`);
    assert.deepEqual(answer.value, checked.value);
  }
});

test("a number token written otherwise (exponents, trailing zeros, 800 digits) reads as the server core reads it: accepted by both when the value is the same, refused by both when not", () => {
  const worker = server.signKeypair(new Uint8Array(32).fill(9));
  const workerId = server.accountId(worker.signerID);
  const body = server.signMessage(worker.signerSecret, spec("response", workerId, { a: 0.1, b: 100000, c: 5e-324, d: 1.7976931348623157e308, e: 0.5 }, { inResponseTo: "co_zRequest" }));
  const expected = { kind: "response", url: "/api/numbers", workerId, inResponseTo: "co_zRequest" };
  const rewrite = (from, to) => {
    assert.ok(body.includes(from), from);
    return body.replace(from, to);
  };
  const same = [
    ['"a":0.1', '"a":1.0e-1'], ['"a":0.1', '"a":0.1000000000000000055511151231257827021181583404541015625'], ['"a":0.1', `"a":0.${"1".padEnd(800, "0")}`],
    ['"b":100000', '"b":1E5'], ['"b":100000', '"b":100000.000'], ['"c":5e-324', '"c":4.9406564584124654e-324'], ['"c":5e-324', '"c":3e-324'],
    ['"d":1.7976931348623157e+308', '"d":17976931348623157e292'], ['"e":0.5', '"e":5e-1'],
  ];
  const other = [['"a":0.1', '"a":0.10000000000000002'], ['"b":100000', '"b":1E6'], ['"c":5e-324', '"c":2e-324'], ['"e":0.5', '"e":0.5000000000000001']];
  for (const [from, to] of same) {
    const text = rewrite(from, to);
    const fromServer = server.verifyMessage(text, expected, { now: NOW + 1 });
    const fromClient = client.verifyMessage(text, expected, { now: NOW + 1 });
    assert.equal(fromServer.ok, true, `server: ${to}: ${fromServer.code}`);
    assert.equal(fromClient.ok, true, `browser: ${to}: ${fromClient.code}`);
    assert.deepEqual(fromClient.value, fromServer.value, to);
  }
  for (const [from, to] of other) {
    const text = rewrite(from, to);
    assert.equal(server.verifyMessage(text, expected, { now: NOW + 1 }).code, "ERR_BAD_SIGNATURE", to);
    assert.equal(client.verifyMessage(text, expected, { now: NOW + 1 }).code, "ERR_BAD_SIGNATURE", to);
  }
});

test("what only the server core does throws ERR_SERVER_CORE on the browser core, naming the core to load", () => {
  const { signerSecret, signerID } = client.signKeypair(new Uint8Array(32).fill(4));
  const calls = {
    createReplaySet: () => client.createReplaySet(),
    canonicalize: () => client.canonicalize('{"a":1}'),
    secureHash: () => client.secureHash('{"a":1}'),
    verifyEnvelope: () => client.verifyEnvelope("{}", { now: NOW }),
    verifyJazzMessage: () => client.verifyJazzMessage("{}", { now: NOW }),
    signEnvelope: () => client.signEnvelope({ contentPieces: [], id: "co_zX", createdAt: NOW }, signerSecret),
    parseAuthToken: () => client.parseAuthToken("x"),
    signerIdOfAccount: () => client.signerIdOfAccount(client.accountId(signerID)),
    sign: () => client.sign(signerSecret, "{}"),
  };
  for (const [name, call] of Object.entries(calls)) {
    assert.throws(call, (error) => error.code === "ERR_SERVER_CORE" && /browser core \(jazzrpc-client\.wasm\)/.test(error.message) && /jazzrpc\/jazzrpc\.wasm/.test(error.message), name);
  }
  // and what a client does works: an auth token, base58, account ids
  assert.match(client.createAuthToken(signerSecret, client.accountId(signerID), NOW), /~co_z/);
  assert.deepEqual([...client.base58Decode(client.base58Encode(new Uint8Array([0, 1, 2, 255])))], [0, 1, 2, 255]);
});
