// Every input costs time linear in its length, before any key is known.
//
// For each kind of hostile input, at the largest size the limits accept (a 1 MiB body;
// 128,000 characters for an auth token, which Workers and Deno allow in a header), this
// measures in one process the median time of the core call on it and the median time of
// reading a plain, well-formed body of the same byte size (core.verifyEnvelope of a
// signed body whose content is one long string: parse, canonical text, BLAKE3, ed25519),
// and fails when the ratio passes MAX_RATIO. A ratio, not a time: the machine may be slow
// or busy, but both sides of the ratio pay for it alike.
//
// MAX_RATIO: the linear core stays at or below ~10 on every case here (2 busy cores;
// reversed keys and deep nesting are the dearest). The core of before, whose base58
// decoded any length, measured by this file: a 1 MiB signerID 20 s against 12 ms (ratio
// 1,700), a 1 MiB authToken 55 s (4,100), the same on the jazz-tools path (2,100), a
// 128,000-character auth token signature 223 ms against 0.9 ms (245) and account id (300).
import { test } from "node:test";
import assert from "node:assert/strict";
import { core } from "./_support.mjs";

const MAX_RATIO = 40;
const RUNS = 5;
const MIB = 1 << 20;
const TOKEN_CHARS = 128_000;
const NOW = 1_764_000_000_000;
const OPTIONS = { now: NOW };

const signer = core.signKeypair();
const workerId = core.accountId(core.signKeypair().signerID);
const MESSAGE_SPEC = { kind: "request", url: "/api/book", workerId };

// ---- measuring ----------------------------------------------------------------------

// The median of RUNS timed calls after one untimed. A run over `giveUpMs` is the answer
// at once: the test has failed by then, and the quadratic cases of before take minutes.
function medianMs(fn, giveUpMs = Infinity) {
  fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    fn();
    const ms = performance.now() - start;
    if (ms > giveUpMs) return ms;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[RUNS >> 1];
}

// ---- bodies -----------------------------------------------------------------------------

// template with "@" replaced by as many copies of unit as keep it within size characters
// (all ASCII here, so characters are bytes).
function fill(template, unit, size = MIB) {
  const count = Math.floor((size - (template.length - 1)) / unit.length);
  return template.replace("@", () => unit.repeat(count));
}

// An unsigned envelope around contentPieces text, or with one field's value replaced.
function envelope({ pieces = "[]", id = '"co_zX"', createdAt = String(NOW), authToken = '"signature_zX"', signerID } = {}) {
  signerID ??= JSON.stringify(signer.signerID);
  return `{"contentPieces":${pieces},"id":${id},"createdAt":${createdAt},"authToken":${authToken},"signerID":${signerID}}`;
}

// A signed envelope of at most size bytes: makePieces(n) with the largest n that fits.
function signedEnvelope(makePieces, size = MIB, id = "co_zX") {
  const sign = (n) => {
    try {
      return core.signEnvelope({ contentPieces: makePieces(n), id, createdAt: NOW }, signer.signerSecret);
    } catch (error) {
      if (error.code === "ERR_TOO_LARGE") return null; // the pieces alone are over the limit
      throw error;
    }
  };
  const fits = (n) => {
    const body = sign(n);
    return body !== null && body.length <= size;
  };
  let high = 1024;
  while (fits(high)) high *= 2;
  let low = 0;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (fits(mid)) low = mid;
    else high = mid;
  }
  return sign(low);
}

// The plain body each case is compared with: one long string, signed.
const plainBodies = new Map();
function plainBody(size) {
  if (!plainBodies.has(size)) {
    // The signature's base58 is 87 or 88 characters: the text's length is found by trying.
    const sign = (n) => core.signEnvelope({ contentPieces: [{ text: "a".repeat(n) }], id: "co_zX", createdAt: NOW }, signer.signerSecret);
    let n = size - sign(0).length;
    let body = sign(n);
    for (let tries = 0; body.length !== size && tries < 8; tries++) body = sign((n += size - body.length));
    assert.ok(Math.abs(body.length - size) <= 1, `a plain body of ${size} bytes (${body.length})`);
    assert.ok(core.verifyEnvelope(body, OPTIONS).ok);
    plainBodies.set(size, body);
  }
  return plainBodies.get(size);
}

// cojson's id of a header: "co_z" + the base58 of the first 19 bytes of its BLAKE3.
const coIdOf = (header) => "co_z" + core.shortHash(JSON.stringify(header)).slice("shortHash_z".length);

// A jazz-tools request body signed by `signer`: its account, the group it made and the
// request, whose one session (of the account) holds `transactions` and is signed as
// cojson signs a session, then `extraPieces`. sessions: how many sessions repeat that one.
function jazzPieces({ transactions, sessions = 1, extraPieces = [] }) {
  const accountHeader = {
    type: "comap",
    ruleset: { type: "group", initialAdmin: `sealer_zLinear/${signer.signerID}` },
    meta: { type: "account" },
    createdAt: null,
    uniqueness: null,
  };
  const account = coIdOf(accountHeader);
  const groupHeader = { type: "comap", ruleset: { type: "group", initialAdmin: account }, meta: null, uniqueness: "z1" };
  const group = coIdOf(groupHeader);
  const requestHeader = { type: "comap", ruleset: { type: "ownedByGroup", group }, meta: null, uniqueness: "z2" };
  const request = coIdOf(requestHeader);
  // The session's hash chain: BLAKE3 over each transaction's canonical JSON, in order
  // (JSON.stringify writes these transactions canonically: their keys are in order).
  const chain = core.blake3(new TextEncoder().encode(transactions.map((t) => JSON.stringify(t)).join("")));
  const lastSignature = core.sign(signer.signerSecret, JSON.stringify("hash_z" + core.base58Encode(chain)));
  const content = { after: 0, newTransactions: transactions, lastSignature };
  const news = {};
  for (let i = 0; i < sessions; i++) news[`${account}_session_z${i}`] = content;
  const piece = (id, header, body = {}) => ({ action: "content", id, header, priority: 0, new: body });
  return {
    id: request,
    pieces: [piece(account, accountHeader), piece(group, groupHeader), piece(request, requestHeader, news), ...extraPieces],
  };
}

function jazzBody(makeOptions, size = MIB) {
  const { id } = jazzPieces(makeOptions(1));
  return signedEnvelope((n) => jazzPieces(makeOptions(n)).pieces, size, id);
}

const transaction = (i) => ({ changes: `[{"op":"set","key":"k${i}","value":${i}}]`, madeAt: NOW + i, privacy: "trusting" });

// ---- the cases ------------------------------------------------------------------------------

const verifyMessage = (body) => core.verifyMessage(body, MESSAGE_SPEC, OPTIONS);
const verifyJazz = (body) => core.verifyJazzMessage(body, OPTIONS);

const keys = (count, order = 1) =>
  Array.from({ length: count }, (_, i) => `"${(order > 0 ? i : count - i).toString(36)}":0`).join(",");

const CASES = [
  {
    name: "a signerID of a million characters (verifyMessage)",
    body: () => fill(envelope({ signerID: '"signer_z@"' }), "z"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "an authToken of a million characters (verifyMessage)",
    body: () => fill(envelope({ authToken: '"signature_z@"' }), "z"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "an id of a million characters (verifyMessage)",
    body: () => fill(envelope({ id: '"co_z@"' }), "z"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "a signerID of a million characters (verifyJazzMessage)",
    body: () => fill(envelope({ signerID: '"signer_z@"' }), "z"),
    call: verifyJazz,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "a createdAt with a million digits",
    body: () => fill(envelope({ createdAt: `${NOW}.@1` }), "0"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "a number with a million digits in contentPieces",
    body: () => fill(envelope({ pieces: "[9@]" }), "7"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "strings full of escapes and surrogates",
    // a NUL, a pair, a lone low and a lone high surrogate, a newline, a quote, a backslash, a tab, é
    body: () => fill(envelope({ pieces: '["@"]' }), String.raw`\u0000\ud83d\ude00\udc00\ud800\n\"\\\t\u00e9`),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "as many keys as fit, in reverse order",
    body: () => {
      const count = Math.floor(MIB / 9);
      let body = envelope({ pieces: `[{${keys(count, -1)}}]` });
      for (let c = count; body.length > MIB; c = Math.floor(c * 0.98)) body = envelope({ pieces: `[{${keys(c, -1)}}]` });
      return body;
    },
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "one key repeated (duplicate keys)",
    body: () => fill(envelope({ pieces: '[{@"a":1}]' }), '"a":[0],'),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "nesting at the maximum depth (64), repeated",
    // The body is depth 1, contentPieces 2: each piece opens 62 more.
    body: () => fill(envelope({ pieces: "[@0]" }), "[".repeat(62) + "]".repeat(62) + ","),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "many content pieces",
    body: () => fill(envelope({ pieces: "[@{}]" }), "{},"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "jazz-tools: many pieces, signed",
    body: () => jazzBody((n) => ({ transactions: [transaction(0)], extraPieces: Array.from({ length: n }, (_, i) => ({ id: `co_z${i}`, new: {} })) })),
    call: verifyJazz,
    expect: "OK",
  },
  {
    name: "jazz-tools: one request session of many transactions, signed",
    body: () => jazzBody((n) => ({ transactions: Array.from({ length: n }, (_, i) => transaction(i)) })),
    call: verifyJazz,
    expect: "OK",
  },
  {
    name: "jazz-tools: many request sessions, each signed",
    body: () => jazzBody((n) => ({ transactions: [transaction(0)], sessions: n })),
    call: verifyJazz,
    expect: "ERR_MALFORMED", // past the 32 session signatures the core verifies
  },
  {
    name: `an auth token whose signature has ${TOKEN_CHARS} characters`,
    size: TOKEN_CHARS,
    body: () => fill(`signature_z@~${workerId}~${NOW}`, "z", TOKEN_CHARS),
    call: (token) => core.verifyAuthToken(token, core.signerIdOfAccount(workerId), OPTIONS),
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: `an auth token whose account id has ${TOKEN_CHARS} characters (parse, then its signer)`,
    size: TOKEN_CHARS,
    body: () => fill(`signature_zX~co_z@~${NOW}`, "z", TOKEN_CHARS),
    call: (token) => {
      const { id } = core.parseAuthToken(token);
      try {
        core.signerIdOfAccount(id);
        return { code: "OK" };
      } catch (error) {
        return { code: error.code };
      }
    },
    expect: "ERR_BAD_KEY",
  },
  // Numbers: the core reads them with fast_float (Debian's libfast-float-dev), ratios of 2
  // to 5 here. With musl's strtod (the wasm build's libc) each short number of the first
  // two cases cost microseconds: 1.5e-300 repeated measured 813 ms against 7.4 ms for a
  // plain body (ratio 110), the mix 1,435 ms against 14 ms (ratio 102); the long
  // halfway numbers were cheap for both (ratio ~2).
  {
    name: "many short numbers at the ends of the double range",
    body: () => fill(envelope({ pieces: "[@0]" }), "1.5e-300,"),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "many numbers of every hard kind: the largest, subnormals, 17 digits, overflow, underflow, 0.1",
    body: () =>
      fill(
        envelope({ pieces: "[@0]" }),
        "1.7976931348623157e308,4.9e-324,2.2250738585072011e-308,1.2345678901234567e-300,1e400,-1e-400,1e0000000000000000001,0.1,",
      ),
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
  {
    name: "many numbers of ~760 digits halfway between two doubles (exact comparison on each)",
    body: () => {
      // 2^-1075, halfway between 0 and the least subnormal, written out in full; and the
      // point halfway above 1, with digits after it that decide the rounding only at the end
      const five = (5n ** 1075n).toString();
      const halfSubnormal = `${five[0]}.${five.slice(1)}e${five.length - 1 - 1075}`;
      const pastHalfAboveOne = "1.00000000000000011102230246251565404236316680908203125" + "0".repeat(700) + "1";
      return fill(envelope({ pieces: "[@0]" }), `${halfSubnormal},${pastHalfAboveOne},`);
    },
    call: verifyMessage,
    expect: "ERR_BAD_SIGNATURE",
  },
];

for (const { name, body: makeBody, call, expect, size = MIB } of CASES) {
  test(`linear cost: ${name}`, (t) => {
    const body = makeBody();
    assert.ok(body.length <= size, `the body fits the limit (${body.length} > ${size})`);
    assert.ok(body.length > size * 0.95, `the body is near the limit (${body.length} of ${size})`);
    const plain = plainBody(body.length);
    const plainMs = medianMs(() => core.verifyEnvelope(plain, OPTIONS));
    const verdict = call(body);
    assert.equal(verdict.code, expect, `the core's answer (${verdict.message ?? ""})`);
    const hostileMs = medianMs(() => call(body), plainMs * MAX_RATIO * 4);
    const ratio = hostileMs / plainMs;
    t.diagnostic(
      `${body.length} bytes: ${hostileMs.toFixed(2)} ms against ${plainMs.toFixed(2)} ms for a plain body, ratio ${ratio.toFixed(1)} (max ${MAX_RATIO})`,
    );
    assert.ok(ratio <= MAX_RATIO, `${name}: ${hostileMs.toFixed(1)} ms is ${ratio.toFixed(0)} times a plain body's ${plainMs.toFixed(1)} ms`);
  });
}
