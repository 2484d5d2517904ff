// Request envelopes and auth tokens through the wasm core's JS API, with an
// independent jazz-tools style signer in JS (@noble/hashes BLAKE3 + node:crypto
// ed25519) following DESIGN.md section 3.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  core, jazzError, makeRng, refBase58Encode, refBase58Decode, refIdentity, refEnvelopeAuthToken, refSignValue,
  refSecureHash, stableStringify, utf8,
} from "./_support.mjs";

const NOW = 1_764_000_000_000; // a fixed clock: the core has none
const WINDOW = 60_000, SKEW = 10_000;
const rng = makeRng(0xe1e);

const seedOf = (n) => Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7) & 0xff);
const alice = refIdentity(seedOf(1));
const mallory = refIdentity(seedOf(2));
const newId = () => "co_z" + refBase58Encode(rng.bytes(19));

const CONTENT = [
  { action: "bookEventTicket", eventId: "co_zEvent", seats: 2, price: 12.5, tags: ["a", "\u00e9", "\ud83d\ude00"], z: null, a: true },
  { header: { type: "comap", ruleset: { type: "ownedByGroup", group: "co_zGroup" }, meta: null, uniqueness: "z5k" } },
  { private: "encrypted_UeyJhIjoiYiJ9", blob: "binary_UAAECAw" },
];

function sign(identity = alice, { contentPieces = CONTENT, id = newId(), createdAt = NOW } = {}) {
  return core.signEnvelope({ contentPieces, id, createdAt }, identity.signerSecret);
}
function verify(body, options = {}) {
  return core.verifyEnvelope(body, { now: NOW, ...options });
}
// assert a verdict: ok, or not ok with this code and status
function expectVerdict(result, code, status, what = "") {
  assert.equal(typeof result, "object", what);
  assert.equal(result.code, code, `${what}: ${JSON.stringify(result)}`);
  if (code === "OK") {
    assert.equal(result.ok, true, what);
  } else {
    assert.equal(result.ok, false, what);
    assert.equal(result.status, status, `${what}: status`);
    assert.equal(typeof result.message, "string", `${what}: message`);
  }
}
// edit a body as a parsed object and serialize it again (JSON.stringify: key order as given)
const edit = (body, fn) => { const o = JSON.parse(body); fn(o); return JSON.stringify(o); };

test("signEnvelope -> verifyEnvelope ok, with the fields reported", () => {
  const id = newId();
  const body = sign(alice, { id });
  const parsed = JSON.parse(body);
  assert.deepEqual(Object.keys(parsed).sort(), ["authToken", "contentPieces", "createdAt", "id", "signerID"]);
  assert.deepEqual(parsed.contentPieces, CONTENT);
  assert.equal(parsed.id, id);
  assert.equal(parsed.createdAt, NOW);
  assert.equal(parsed.signerID, alice.signerID);
  assert.match(parsed.authToken, /^signature_z[1-9A-HJ-NP-Za-km-z]+$/);
  assert.equal(refBase58Decode(parsed.authToken.slice("signature_z".length)).length, 64);

  const result = verify(body);
  expectVerdict(result, "OK");
  assert.equal(result.id, id);
  assert.equal(result.signerID, alice.signerID);
  assert.equal(result.createdAt, NOW);
  assert.equal(result.expiresAt, NOW + WINDOW);
});

test("signEnvelope signs exactly DESIGN.md's recipe (same authToken as a JS jazz-tools signer)", () => {
  for (const contentPieces of [CONTENT, [], [1, "x", { b: 1, a: [2e21, -0, 0.1] }], [{ "\uffff": 1, "\ud83d\ude00": 2, s: "\u2028\"\\\u0000" }]]) {
    const id = newId(), createdAt = NOW - 1234;
    const body = sign(alice, { contentPieces, id, createdAt });
    const want = refEnvelopeAuthToken(alice.seed, { contentPieces, id, createdAt, signerID: alice.signerID });
    assert.equal(JSON.parse(body).authToken, want, JSON.stringify(contentPieces));
  }
});

test("a body signed the jazz-tools way in JS (noble BLAKE3 + node:crypto ed25519) verifies", () => {
  // Steps of DESIGN.md section 3, written out here rather than through the helpers.
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const pk = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(-32));
  const signerID = "signer_z" + refBase58Encode(pk);
  const contentPieces = [...CONTENT, { n: [1e21, 1e-7, 123e-20, 9007199254740993, 0.30000000000000004], k: { b: 1, a: 2, B: 3 } }];
  const id = newId(), createdAt = NOW - 5000;
  const P = stableStringify({ contentPieces, id, createdAt, signerID });
  const H = refSecureHash({ contentPieces, id, createdAt, signerID });
  assert.equal(H, refSecureHash(JSON.parse(P)));
  const message = utf8(stableStringify(H)); // "\"hash_z…\"", quotes included
  assert.equal(message[0], 0x22);
  const sig = new Uint8Array(crypto.sign(null, message, privateKey));
  const authToken = "signature_z" + refBase58Encode(sig);
  // jazz-tools sends JSON.stringify of the object in this key order
  const body = JSON.stringify({ contentPieces, id, createdAt, authToken, signerID });
  const result = verify(body);
  expectVerdict(result, "OK", undefined, "jazz-tools style body");
  assert.equal(result.signerID, signerID);
  assert.equal(result.id, id);
  assert.equal(result.expiresAt, createdAt + WINDOW);
  // and as bytes, the way a server reads it
  expectVerdict(verify(utf8(body)), "OK", undefined, "as bytes");
  // the same body with the message signed without the quotes must not verify
  const unquoted = "signature_z" + refBase58Encode(new Uint8Array(crypto.sign(null, utf8(H), privateKey)));
  expectVerdict(verify(edit(body, (o) => { o.authToken = unquoted; })), "ERR_BAD_SIGNATURE", 401, "unquoted hash signed");
});

test("the signature covers values, not spelling: re-serialized bodies still verify", () => {
  const id = newId(), createdAt = NOW - 777;
  const body = sign(alice, { id, createdAt });
  const o = JSON.parse(body);
  const variants = [
    // keys in another order, pretty-printed
    JSON.stringify({ signerID: o.signerID, authToken: o.authToken, createdAt: o.createdAt, id: o.id, contentPieces: o.contentPieces }, null, 2),
    // contentPieces' inner keys reversed, createdAt spelled with an exponent, escapes
    "{\"contentPieces\":" + JSON.stringify(o.contentPieces.map((p) => Object.fromEntries(Object.entries(p).reverse())))
      .replace(/\u00e9/g, "\\u00e9").replace(/\//g, "\\/") +
      `,"id":"${o.id}","createdAt":${o.createdAt.toExponential()},"authToken":"${o.authToken}","signerID":"${o.signerID}"}`,
    // a duplicate with a decoy value first: the last one wins, as JSON.parse
    body.replace("{", `{"id":"co_zDecoy","createdAt":1,"signerID":"signer_zDecoy",`),
    // whitespace
    ` \n${body.replace(/,/g, " ,\t").replace(/:/g, " : ")}\r\n`,
  ];
  for (const [i, text] of variants.entries()) {
    assert.deepEqual(JSON.parse(text), o, `variant ${i} parses to the same value`);
    const result = verify(text);
    expectVerdict(result, "OK", undefined, `variant ${i}`);
    assert.equal(result.id, id, `variant ${i}: id`);
  }
});

test("tampering with any signed field -> ERR_BAD_SIGNATURE (401)", () => {
  const body = sign(alice, { createdAt: NOW - 1000 });
  const o = JSON.parse(body);
  const other = JSON.parse(sign(alice, { createdAt: NOW - 1000 })); // same signer, another id
  const sig = refBase58Decode(o.authToken.slice("signature_z".length));
  const flipped = sig.slice(); flipped[10] ^= 0x04;
  const cases = {
    "contentPieces value": edit(body, (x) => { x.contentPieces[0].seats = 3; }),
    "contentPieces appended": edit(body, (x) => { x.contentPieces.push(null); }),
    "contentPieces removed": edit(body, (x) => { x.contentPieces.pop(); }),
    "contentPieces emptied": edit(body, (x) => { x.contentPieces = []; }),
    "contentPieces string": edit(body, (x) => { x.contentPieces[2].private += "A"; }),
    "id": edit(body, (x) => { x.id = other.id; }),
    "createdAt +1 ms": edit(body, (x) => { x.createdAt += 1; }),
    "createdAt -1 ms": edit(body, (x) => { x.createdAt -= 1; }),
    "authToken of another body": edit(body, (x) => { x.authToken = other.authToken; }),
    "authToken with a flipped bit": edit(body, (x) => { x.authToken = "signature_z" + refBase58Encode(flipped); }),
    "authToken truncated": edit(body, (x) => { x.authToken = "signature_z" + refBase58Encode(sig.subarray(0, 63)); }),
    "authToken with a byte appended": edit(body, (x) => { x.authToken = "signature_z" + refBase58Encode(new Uint8Array([...sig, 0])); }),
    "signerID of another key": edit(body, (x) => { x.signerID = mallory.signerID; }),
    "duplicate key, forged id last": body.replace(/}$/, `,"id":"${other.id}"}`),
  };
  for (const [what, text] of Object.entries(cases)) {
    const result = verify(text);
    expectVerdict(result, "ERR_BAD_SIGNATURE", 401, what);
  }
  // and the report names what JSON.parse sees (the last duplicate), which is what a replay guard would claim
  const dup = verify(cases["duplicate key, forged id last"]);
  assert.equal(dup.id, other.id);
});

test("a malleable signature (S + L) is refused", () => {
  const body = sign(alice);
  const o = JSON.parse(body);
  const sig = refBase58Decode(o.authToken.slice("signature_z".length));
  // S is the little-endian scalar in bytes 32..63; add the group order L to it
  const L = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"; // little-endian
  const s = sig.slice(32);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const v = s[i] + parseInt(L.slice(2 * i, 2 * i + 2), 16) + carry;
    s[i] = v & 0xff; carry = v >> 8;
  }
  assert.equal(carry, 0);
  const malleated = new Uint8Array([...sig.subarray(0, 32), ...s]);
  expectVerdict(verify(edit(body, (x) => { x.authToken = "signature_z" + refBase58Encode(malleated); })), "ERR_BAD_SIGNATURE", 401);
});

// cojson writes strings starting with "encrypted_U"/"binary_U" unescaped, so a body can fold the
// members after such a string into it: a different contentPieces value with the same canonical text,
// hence the same signature. jazz-tools never sends such strings (its ciphertexts are base64url) and
// the glue refuses to sign one; the core refuses them on verify with ERR_MALFORMED.
test("hardening: a quirk string that swallows the following members is refused", () => {
  const original = [{ encryptedChanges: "encrypted_Uabc", keyUsed: "key_z1", madeAt: 5, privacy: "private" }];
  const body = sign(alice, { contentPieces: original });
  const folded = edit(body, (x) => { x.contentPieces = [{ encryptedChanges: "encrypted_Uabc\",\"keyUsed\":\"key_z1\",\"madeAt\":5,\"privacy\":\"private" }]; });
  assert.notDeepEqual(JSON.parse(folded).contentPieces, original);
  assert.equal(core.canonicalize(JSON.stringify(JSON.parse(folded).contentPieces)), core.canonicalize(JSON.stringify(original)));
  const result = verify(folded);
  assert.equal(result.ok, false, `a different contentPieces verified: ${folded}`);
  assert.equal(result.code, "ERR_MALFORMED");
});

test("re-signed with another key: verifies, and reports the new signer (binding is the caller's check)", () => {
  const body = sign(alice);
  const o = JSON.parse(body);
  const resigned = sign(mallory, { contentPieces: o.contentPieces, id: o.id, createdAt: o.createdAt });
  const result = verify(resigned);
  expectVerdict(result, "OK");
  assert.equal(result.id, o.id);
  assert.equal(result.signerID, mallory.signerID);
  assert.notEqual(result.signerID, alice.signerID);
});

test("time window: expired, edge, future, skew (defaults 60 s / 10 s)", () => {
  const at = (createdAt) => sign(alice, { createdAt });
  expectVerdict(verify(at(NOW)), "OK", undefined, "now");
  expectVerdict(verify(at(NOW - WINDOW)), "OK", undefined, "exactly at the window edge");
  expectVerdict(verify(at(NOW - WINDOW - 1)), "ERR_EXPIRED", 401, "1 ms past the window");
  expectVerdict(verify(at(NOW - 10 * WINDOW)), "ERR_EXPIRED", 401, "long expired");
  expectVerdict(verify(at(NOW + SKEW)), "OK", undefined, "exactly at the skew");
  expectVerdict(verify(at(NOW + 1)), "OK", undefined, "1 ms ahead");
  expectVerdict(verify(at(NOW + SKEW + 1)), "ERR_FUTURE", 401, "1 ms beyond the skew");
  expectVerdict(verify(at(NOW + 365 * 86400e3)), "ERR_FUTURE", 401, "a year ahead");
  // the reported expiry follows the window
  assert.equal(verify(at(NOW - 5)).expiresAt, NOW - 5 + WINDOW);
  // time is checked before the signature: an expired forgery reports ERR_EXPIRED
  const forged = edit(at(NOW - WINDOW - 1), (x) => { x.signerID = mallory.signerID; });
  expectVerdict(verify(forged), "ERR_EXPIRED", 401, "expired and forged");
  const future = edit(at(NOW + SKEW + 1), (x) => { x.signerID = mallory.signerID; });
  expectVerdict(verify(future), "ERR_FUTURE", 401, "future and forged");
});

test("time window: custom window and skew", () => {
  const at = (createdAt) => sign(alice, { createdAt });
  const opts = { window: 5000, skew: 0 };
  expectVerdict(verify(at(NOW - 5000), opts), "OK", undefined, "edge of a 5 s window");
  assert.equal(verify(at(NOW - 5000), opts).expiresAt, NOW);
  expectVerdict(verify(at(NOW - 5001), opts), "ERR_EXPIRED", 401, "past a 5 s window");
  expectVerdict(verify(at(NOW), opts), "OK", undefined, "now, no skew");
  expectVerdict(verify(at(NOW + 1), opts), "ERR_FUTURE", 401, "1 ms ahead, no skew");
  const wide = { window: 3_600_000, skew: 120_000 };
  expectVerdict(verify(at(NOW - 3_000_000), wide), "OK", undefined, "within an hour");
  assert.equal(verify(at(NOW - 3_000_000), wide).expiresAt, NOW - 3_000_000 + 3_600_000);
  expectVerdict(verify(at(NOW + 100_000), wide), "OK", undefined, "within 2 min skew");
  expectVerdict(verify(at(NOW + 120_001), wide), "ERR_FUTURE", 401, "beyond 2 min skew");
  expectVerdict(verify(at(NOW - WINDOW - 1), wide), "OK", undefined, "old for the default, fine for an hour");
});

test("not JSON -> ERR_NOT_JSON (400)", () => {
  const body = sign(alice);
  for (const text of ["", " ", "not json", "{", body.slice(0, -1), body + "x", body + "}", "{'a':1}"]) {
    expectVerdict(verify(text), "ERR_NOT_JSON", 400, JSON.stringify(text.slice(0, 40)));
  }
  expectVerdict(verify(new Uint8Array(0)), "ERR_NOT_JSON", 400, "empty bytes");
});

test("a leading BOM: refused in a string body (as JSON.parse), dropped from bytes (as Request.json())", () => {
  const body = sign(alice);
  expectVerdict(verify(utf8("\ufeff" + body)), "OK", undefined, "bytes EF BB BF + body");
  expectVerdict(verify("\ufeff" + body), "ERR_NOT_JSON", 400, "string \\ufeff + body");
});

test("size and depth limits -> ERR_TOO_LARGE (413) / ERR_TOO_DEEP (400)", () => {
  const body = sign(alice);
  const n = utf8(body).length;
  expectVerdict(verify(body, { maxBytes: n }), "OK", undefined, "at maxBytes");
  expectVerdict(verify(body, { maxBytes: n - 1 }), "ERR_TOO_LARGE", 413, "one byte over maxBytes");
  expectVerdict(verify(body + " ".repeat(100), { maxBytes: n + 99 }), "ERR_TOO_LARGE", 413, "trailing spaces count");
  // the default limit (1 MiB, README)
  const big = sign(alice, { contentPieces: ["x".repeat((1 << 20) - 100)] }); // signable, but the body is over
  assert.ok(utf8(big).length > 1 << 20);
  expectVerdict(verify(big), "ERR_TOO_LARGE", 413, "over the default 1 MiB");
  expectVerdict(verify("{".repeat(2 << 20)), "ERR_TOO_LARGE", 413, "size before syntax");
  // depth
  const deep = (d) => sign(alice, { contentPieces: [JSON.parse("[".repeat(d) + "]".repeat(d))] });
  expectVerdict(verify(deep(8), { maxDepth: 10 }), "OK", undefined, "depth 10 of 10"); // body {} + contentPieces [] + 8
  expectVerdict(verify(deep(9), { maxDepth: 10 }), "ERR_TOO_DEEP", 400, "depth 11 of 10");
  expectVerdict(verify(`{"contentPieces":${"[".repeat(100000)}${"]".repeat(100000)}}`), "ERR_TOO_DEEP", 400, "very deep");
});

test("JSON of the wrong shape -> ERR_MALFORMED (400)", () => {
  const o = JSON.parse(sign(alice));
  const without = (k) => { const x = { ...o }; delete x[k]; return JSON.stringify(x); };
  const withField = (k, v) => JSON.stringify({ ...o, [k]: v });
  const cases = {
    "array": "[]", "null": "null", "number": "1", "string": "\"x\"", "empty object": "{}",
    "no contentPieces": without("contentPieces"), "no id": without("id"), "no createdAt": without("createdAt"),
    "no authToken": without("authToken"), "no signerID": without("signerID"),
    "contentPieces object": withField("contentPieces", { 0: 1 }), "contentPieces string": withField("contentPieces", "[]"),
    "contentPieces null": withField("contentPieces", null),
    "id number": withField("id", 12), "id null": withField("id", null), "id without co_z": withField("id", "cx_zAbc"),
    "id bare": withField("id", o.id.slice(4)),
    "createdAt string": withField("createdAt", String(NOW)), "createdAt null": withField("createdAt", null),
    "createdAt true": withField("createdAt", true), "createdAt Infinity": JSON.stringify(o).replace(`:${NOW}`, ":1e400"),
    "authToken number": withField("authToken", 1), "authToken array": withField("authToken", [o.authToken]),
    "authToken without signature_z": withField("authToken", o.authToken.slice("signature_z".length)),
    "authToken with another prefix": withField("authToken", "sig_z" + o.authToken.slice("signature_z".length)),
    "signerID null": withField("signerID", null),
    "signerID without signer_z": withField("signerID", "sealer_z" + o.signerID.slice("signer_z".length)),
  };
  for (const [what, text] of Object.entries(cases)) expectVerdict(verify(text), "ERR_MALFORMED", 400, what);
});

test("cojson sign/verify over canonical JSON text", () => {
  const text = "{\"b\":[1,2,{\"y\":\"\\u00e9\",\"x\":1e21}],\"a\":\"encrypted_Uabc\"}";
  const signature = core.sign(alice.signerSecret, text);
  assert.equal(signature, refSignValue(alice.seed, JSON.parse(text)));
  assert.equal(core.verify(signature, text, alice.signerID), true);
  assert.equal(core.verify(signature, " { \"a\" : \"encrypted_Uabc\", \"b\":[1.0,2,{\"x\":1E21,\"y\":\"\u00e9\"}]}", alice.signerID), true, "same value");
  assert.equal(core.verify(signature, text.replace("1e21", "1e20"), alice.signerID), false, "other value");
  assert.equal(core.verify(signature, text, mallory.signerID), false, "other signer");
  assert.equal(core.verify(core.sign(mallory.signerSecret, text), text, alice.signerID), false, "other signature");
});

// ---- auth tokens: "signature_z…~co_z…~createdAt" -------------------------------------------
const refAuthToken = (identity, id, createdAt) => `${refSignValue(identity.seed, refSecureHash({ id, createdAt }))}~${id}~${createdAt}`;
const verifyToken = (token, signerID, options = {}) =>
  core.verifyAuthToken(token, signerID, { now: NOW, expiration: 60_000, skew: 10_000, ...options });
// a token verdict: {ok, code} (status and message are not required of it)
function expectToken(result, code, what = "") {
  assert.equal(typeof result, "object", what);
  assert.equal(result.code, code, `${what}: ${JSON.stringify(result)}`);
  assert.equal(result.ok, code === "OK", what);
}

test("auth token: create (as jazz-tools signs it), parse, verify", () => {
  const id = newId();
  const token = core.createAuthToken(alice.signerSecret, id, NOW - 100);
  assert.match(token, /^signature_z[1-9A-HJ-NP-Za-km-z]+~co_z[1-9A-HJ-NP-Za-km-z]+~\d+$/);
  assert.equal(token, refAuthToken(alice, id, NOW - 100));
  const parsed = core.parseAuthToken(token);
  assert.equal(parsed.signature, token.split("~")[0]);
  assert.equal(parsed.id, id);
  assert.equal(parsed.createdAt, NOW - 100);
  expectToken(verifyToken(token, alice.signerID), "OK");
  // a token made in JS verifies too
  expectToken(verifyToken(refAuthToken(alice, id, NOW), alice.signerID), "OK", "JS-made token");
});

test("auth token: expiry, skew, bad signatures, malformed tokens", () => {
  const id = newId();
  const tok = (createdAt, who = alice) => core.createAuthToken(who.signerSecret, id, createdAt);
  expectToken(verifyToken(tok(NOW - 60_000), alice.signerID), "OK", "at the expiry edge");
  expectToken(verifyToken(tok(NOW - 60_001), alice.signerID), "ERR_EXPIRED", "expired");
  expectToken(verifyToken(tok(NOW - 5_001), alice.signerID, { expiration: 5_000 }), "ERR_EXPIRED", "custom expiration");
  expectToken(verifyToken(tok(NOW + 10_000), alice.signerID), "OK", "at the skew");
  expectToken(verifyToken(tok(NOW + 10_001), alice.signerID), "ERR_FUTURE", "beyond the skew");
  expectToken(verifyToken(tok(NOW), mallory.signerID), "ERR_BAD_SIGNATURE", "other signer");
  expectToken(verifyToken(tok(NOW, mallory), alice.signerID), "ERR_BAD_SIGNATURE", "signed by another");
  const [sig, , created] = tok(NOW - 10).split("~");
  expectToken(verifyToken(`${sig}~${newId()}~${created}`, alice.signerID), "ERR_BAD_SIGNATURE", "id swapped");
  expectToken(verifyToken(`${sig}~${id}~${Number(created) + 1}`, alice.signerID), "ERR_BAD_SIGNATURE", "createdAt changed");
  const malformed = [
    "", "~~", "a~b~c", `${sig}~${id}`, `${sig}~${id}~`, `${sig}~${id}~12a`, `${sig}~${id}~-5`, `${sig}~${id}~1.5`,
    `${sig}~${id}~${created}~x`, `${sig.slice("signature_z".length)}~${id}~${created}`, `${sig}~${id.slice(4)}~${created}`,
    `${sig}~cx_z${id.slice(4)}~${created}`,
  ];
  for (const token of malformed) {
    assert.throws(() => core.parseAuthToken(token), jazzError("ERR_MALFORMED"), `parse ${JSON.stringify(token)}`);
    expectToken(verifyToken(token, alice.signerID), "ERR_MALFORMED", `verify ${JSON.stringify(token)}`);
  }
});
