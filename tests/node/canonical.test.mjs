// Canonical JSON through the wasm core, against cojson's stableStringify in JS:
// a seeded differential run over generated JSON texts, the rules of DESIGN.md
// section 3 one by one, and the error cases.
//
// The contract under test: for a JSON text T (a JS string),
//   core.canonicalize(T) === stableStringify(JSON.parse(T))
//   core.secureHash(T)   === "hash_z" + base58(BLAKE3(UTF-8(stableStringify(JSON.parse(T)))))
// and for bytes B, the same with T = new TextDecoder().decode(B) (what Request.json() does:
// invalid UTF-8 becomes U+FFFD, a leading BOM is dropped).
//
// One allowance: the canonical text is produced as UTF-8, so a lone surrogate that
// stableStringify writes raw (only possible inside an "encrypted_U"/"binary_U" string) comes
// back as U+FFFD. That is exactly what TextEncoder makes of it before hashing, so the
// canonical string is compared with reference.toWellFormed() and the hash is exact.
//
// JAZZRPC_SEED=<uint32> replays a different generated run.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  core, stableStringify, refSecureHash, refShortHash, utf8, makeRng, jazzError,
} from "./_support.mjs";

const SEED = Number(process.env.JAZZRPC_SEED ?? 20261125) >>> 0;
const GENERATED = Number(process.env.JAZZRPC_CASES ?? 10000);
const decoder = new TextDecoder(); // utf-8, replacement on error, BOM dropped

const wellFormed = (s) => (s.isWellFormed() ? s : s.toWellFormed());
const show = (s) => JSON.stringify(s).slice(0, 400);

// The expected results for a text (string) or bytes, or the error JSON.parse gives.
function reference(input) {
  const text = typeof input === "string" ? input : decoder.decode(input);
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: "ERR_NOT_JSON" };
  }
  return { canonical: stableStringify(value), hash: refSecureHash(value), shortHash: refShortHash(value) };
}

// Runs one input through the core; returns a description of the mismatch, or null.
function check(input, { shortHash = false } = {}) {
  const want = reference(input);
  const label = typeof input === "string" ? `text ${show(input)}` : `bytes ${Buffer.from(input).toString("hex").slice(0, 400)}`;
  if (want.error) {
    for (const fn of ["canonicalize", "secureHash"]) {
      try {
        const got = core[fn](input);
        return `${fn}(${label}): JSON.parse refuses it, core returned ${show(got)}`;
      } catch (err) {
        if (err?.code !== want.error) return `${fn}(${label}): expected ${want.error}, got ${err?.code ?? err}`;
      }
    }
    return null;
  }
  let got;
  try {
    got = core.canonicalize(input);
  } catch (err) {
    return `canonicalize(${label}) threw ${err?.code ?? err}: ${err?.message}; expected ${show(want.canonical)}`;
  }
  if (got !== wellFormed(want.canonical)) return `canonicalize(${label}) = ${show(got)}, expected ${show(want.canonical)}`;
  try {
    got = core.secureHash(input);
  } catch (err) {
    return `secureHash(${label}) threw ${err?.code ?? err}: ${err?.message}`;
  }
  if (got !== want.hash) return `secureHash(${label}) = ${got}, expected ${want.hash} (canonical ${show(want.canonical)})`;
  if (shortHash) {
    got = core.shortHash(input);
    if (got !== want.shortHash) return `shortHash(${label}) = ${got}, expected ${want.shortHash}`;
  }
  return null;
}

// ---- generators ------------------------------------------------------------------
const PIECES = [
  "a", "b", "z", "A", "Z", "0", "9", " ", "~", "/", "<", "&", "'", "\"", "\\",
  "\b", "\f", "\n", "\r", "\t", "\u0000", "\u0001", "\u0007", "\u000b", "\u001b", "\u001f", "\u007f",
  "\u0080", "\u0085", "\u00a0", "\u00e9", "e\u0301", "\u4e2d", "\u6587", "\ud83d\ude00", "\ud834\udd1e",
  "\ud800", "\udfff", "\udbff", "\udc00", "\udc00\ud800", "\u2028", "\u2029", "\uffff", "\ufffe", "\ufeff",
  "\ud7ff", "\ue000", "\u0100",
];
const SPECIAL_KEYS = [
  "", "a", "A", "b", "aa", "a\u0000", "\uffff", "\ud83d\ude00", "\ue000", "\ud800", "\udc00", "\u00e9", "e\u0301",
  "0", "1", "2", "10", "01", "-1", "4294967294", "4294967295", "9007199254740993", "__proto__", "constructor",
  "toString", "hasOwnProperty", "encrypted_Ukey", "binary_U", "binary_U\"", "id", "\u2028", "\"", "\\", "z",
];
const QUIRK_PREFIXES = ["encrypted_U", "binary_U"];
const SPECIAL_NUMBERS = [
  0, -0, 1, -1, 2, 10, 100, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 0.5, 1.5, 4.35, 1e21, 1e-7, 1e-6, 1.1e-7,
  5e-7, 123e-20, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2,
  9007199254740993, -9007199254740993, 1e20, 999999999999999900000, 9.999999999999999e20, 1.5e300, 1e100,
  2.2250738585072014e-308, 2.225073858507201e-308, 123456789, 12345678901234567890, 0.000001, 2 ** 31, 2 ** 32,
  -(2 ** 31), 1e16, 1e15, 123456789012345.6, 0.1 + 0.7, 1e-323, 7.2057594037927933e16, 4.940656458412465e-324,
];
const NUMBER_TEXTS = [
  "9007199254740993", "1e21", "1E21", "1e-7", "123e-20", "-0", "-0.0", "-0e5", "0.1", "5e-324",
  "1.7976931348623157e308", "1.000", "1E5", "1e+5", "1e-0", "1E+00", "100e-2", "0.1e1", "1e400", "-1e400",
  "1e-400", "-1e-400", "1.7976931348623158e308", "1.7976931348623159e308", "2.4703282292062327e-324",
  "2.4703282292062328e-324", "4.9406564584124654417656879286822137236505980e-324", "2.2250738585072011e-308",
  "123456789012345678901234567890", "0.000000000000000000000000000000000000000001", "7.2057594037927933e16",
  "9007199254740992.5", "9007199254740993.0000000000000001", "0.30000000000000004", "1e0000000000000000000001",
  "3.0000000000000000000000000000000000000000000000000000000000000000000000000001", "-0.000", "10.0e-1",
];
const DIGITS = "0123456789";

function makeGenerators(rng) {
  const digits = (n) => { let s = ""; for (let i = 0; i < n; i++) s += DIGITS[rng.int(10)]; return s; };

  function randomString(maxPieces = 8) {
    let s = "";
    for (let n = rng.int(maxPieces + 1); n > 0; n--) s += rng.chance(0.5) ? rng.pick(PIECES) : String.fromCharCode(0x20 + rng.int(95));
    if (rng.chance(0.06)) s = rng.pick(QUIRK_PREFIXES) + s;
    return s;
  }
  function randomKey() {
    return rng.chance(0.4) ? rng.pick(SPECIAL_KEYS) : randomString(5);
  }
  function randomDouble() {
    for (;;) {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setUint32(0, rng.u32()); dv.setUint32(4, rng.u32());
      const x = dv.getFloat64(0);
      if (Number.isFinite(x)) return x;
    }
  }
  function randomNumber() {
    switch (rng.int(6)) {
      case 0: return rng.pick(SPECIAL_NUMBERS);
      case 1: return randomDouble();
      case 2: return (rng.chance(0.5) ? -1 : 1) * rng.int(2 ** rng.int(32));
      case 3: return (rng.chance(0.5) ? -1 : 1) * (rng.u32() * 2 ** 21 + rng.int(2 ** 21)); // up to 2^53
      case 4: return rng.int(1e6) * 10 ** (rng.int(50) - 25);
      default: return Number((rng.float() * 10 ** (rng.int(30) - 10)).toPrecision(1 + rng.int(17)));
    }
  }
  // A JSON number text, not necessarily in shortest form.
  function randomNumberText() {
    if (rng.chance(0.15)) return rng.pick(NUMBER_TEXTS);
    let s = rng.chance(0.3) ? "-" : "";
    s += rng.chance(0.3) ? "0" : String(1 + rng.int(9)) + digits(rng.int(rng.chance(0.2) ? 30 : 8));
    if (rng.chance(0.5)) s += "." + digits(1 + rng.int(rng.chance(0.2) ? 30 : 6));
    if (rng.chance(0.4)) s += rng.pick(["e", "E"]) + rng.pick(["", "+", "-"]) + digits(1 + rng.int(3));
    return s;
  }
  // Other spellings of the same number value.
  function numberSpelling(x) {
    const s = String(x);
    switch (rng.int(6)) {
      case 0: return s;
      case 1: return x.toExponential().replace("e", rng.pick(["e", "E"]));
      case 2: return x.toExponential(17 + rng.int(4));
      case 3: return s.includes("e") ? s.replace("e+", "e") : s + (s.includes(".") ? "000" : ".0");
      case 4: return Object.is(x, -0) ? rng.pick(["-0", "-0.0", "-0e5", "-0E-0"]) : s + "e0";
      default: return x.toPrecision(1 + rng.int(21));
    }
  }
  function defineKey(obj, key, value) {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  }
  function randomValue(depth, maxDepth) {
    const r = rng.float();
    if (depth < maxDepth && r < 0.2) {
      const obj = {};
      for (let n = rng.int(7); n > 0; n--) defineKey(obj, randomKey(), randomValue(depth + 1, maxDepth));
      return obj;
    }
    if (depth < maxDepth && r < 0.36) {
      const arr = [];
      for (let n = rng.int(7); n > 0; n--) arr.push(randomValue(depth + 1, maxDepth));
      return arr;
    }
    if (r < 0.6) return randomString();
    if (r < 0.9) return randomNumber();
    return rng.pick([true, false, null]);
  }

  // ---- a JSON writer with its own choices: whitespace, escapes, duplicate keys, number spellings
  const ws = () => (rng.chance(0.7) ? "" : Array.from({ length: 1 + rng.int(3) }, () => rng.pick([" ", "\t", "\n", "\r"])).join(""));
  const hex4 = (u) => { const h = u.toString(16).padStart(4, "0"); return rng.chance(0.5) ? h : h.toUpperCase(); };
  const SHORT = { 0x22: "\\\"", 0x5c: "\\\\", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };
  function writeString(s) {
    let out = "\"";
    for (let i = 0; i < s.length; i++) {
      const u = s.charCodeAt(i);
      const isHigh = u >= 0xd800 && u <= 0xdbff, next = s.charCodeAt(i + 1);
      if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
        // a pair: both raw or both escaped (never half raw: that would be a lone surrogate in the text)
        out += rng.chance(0.7) ? s[i] + s[i + 1] : `\\u${hex4(u)}\\u${hex4(next)}`;
        i++;
      } else if (u >= 0xd800 && u <= 0xdfff) {
        // a lone surrogate, escaped or raw (a JS string can hold it raw; JSON.parse keeps it)
        out += rawLone && rng.chance(0.5) ? s[i] : `\\u${hex4(u)}`;
      } else if (u < 0x20 || u === 0x22 || u === 0x5c) {
        out += SHORT[u] && rng.chance(0.6) ? SHORT[u] : `\\u${hex4(u)}`;
      } else if (u === 0x2f && rng.chance(0.5)) {
        out += "\\/";
      } else {
        out += rng.chance(0.85) ? s[i] : `\\u${hex4(u)}`;
      }
    }
    return out + "\"";
  }
  let rawLone = false; // raw lone surrogates only in texts fed as strings
  function writeText(value, { rawLoneSurrogates = true } = {}) {
    rawLone = rawLoneSurrogates;
    return writeValue(value);
  }
  function writeValue(value) {
    if (value === null || typeof value === "boolean") return String(value);
    if (typeof value === "number") return rng.chance(0.7) ? numberSpelling(value) : randomNumberText();
    if (typeof value === "string") return writeString(value);
    if (Array.isArray(value)) return "[" + ws() + value.map((v) => writeValue(v)).join(ws() + "," + ws()) + ws() + "]";
    const entries = Object.keys(value).map((k) => [k, value[k]]);
    for (let i = entries.length - 1; i > 0; i--) { const j = rng.int(i + 1); [entries[i], entries[j]] = [entries[j], entries[i]]; }
    // duplicate keys: an extra member with a key already present (before or after it)
    if (entries.length && rng.chance(0.25)) {
      for (let n = 1 + rng.int(2); n > 0; n--) entries.splice(rng.int(entries.length + 1), 0, [rng.pick(entries)[0], randomValue(0, 2)]);
    }
    return "{" + ws() + entries.map(([k, v]) => writeString(k) + ws() + ":" + ws() + writeValue(v)).join(ws() + "," + ws()) + ws() + "}";
  }
  return { randomValue, writeText, randomString, randomNumberText };
}

// ---- the differential run ---------------------------------------------------------------
test(`differential: ${GENERATED} generated JSON texts (seed ${SEED}) vs stableStringify + @noble/hashes`, (t) => {
  t.diagnostic(`seed ${SEED} (JAZZRPC_SEED to replay another)`);
  const rng = makeRng(SEED);
  const gen = makeGenerators(rng);
  const failures = [];
  let viaStringify = 0, viaWriter = 0, asBytes = 0, shortHashes = 0;
  for (let i = 0; i < GENERATED; i++) {
    const value = gen.randomValue(0, rng.int(9));
    let text;
    if (i % 2 === 0) {
      text = rng.chance(0.2) ? JSON.stringify(value, null, rng.pick([1, 2, "\t"])) : JSON.stringify(value);
      viaStringify++;
    } else {
      text = gen.writeText(value);
      viaWriter++;
    }
    const withShort = i % 10 === 0;
    if (withShort) shortHashes++;
    let failure = check(text, { shortHash: withShort });
    if (!failure && i % 5 === 0) {
      asBytes++;
      failure = check(utf8(text));
    }
    if (failure) failures.push(`#${i}: ${failure}`);
  }
  t.diagnostic(`${GENERATED} texts (${viaStringify} JSON.stringify, ${viaWriter} hand-written with duplicates/escapes/whitespace), ${asBytes} also as bytes, ${shortHashes} shortHash: ${GENERATED - failures.length} agree, ${failures.length} differ`);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${GENERATED} differ (seed ${SEED})`);
});

test(`differential: mutated texts (seed ${SEED}) are refused exactly when JSON.parse refuses them`, (t) => {
  const rng = makeRng(SEED ^ 0x6d757461);
  const gen = makeGenerators(rng);
  const INSERTS = ["{", "}", "[", "]", ",", ":", "\"", "\\", "0", "-", "+", ".", "e", "E", " ", "\u000b", "\u00a0", "\ufeff",
    "x", "n", "t", "f", "/", "\u0000", "\n", "u", "1", "\u2028"];
  const failures = [];
  let valid = 0, invalid = 0, rawLoneTexts = 0;
  for (let i = 0; i < 3000; i++) {
    let text = gen.writeText(gen.randomValue(0, rng.int(4)));
    for (let m = 1 + rng.int(2); m > 0; m--) {
      const at = rng.int(text.length + 1);
      switch (rng.int(4)) {
        case 0: text = text.slice(0, at) + text.slice(at + 1); break;
        case 1: text = text.slice(0, at) + rng.pick(INSERTS) + text.slice(at); break;
        case 2: text = text.slice(0, at); break;
        default: text = text.slice(0, at) + text.slice(rng.int(text.length + 1)); break;
      }
    }
    if (!text.isWellFormed()) rawLoneTexts++;
    if (reference(text).error) invalid++; else valid++;
    const failure = check(text);
    if (failure) failures.push(`#${i}: ${failure}`);
  }
  t.diagnostic(`mutated texts: ${invalid} refused by JSON.parse, ${valid} still valid (${rawLoneTexts} with raw lone surrogates); ${failures.length} disagreements`);
  assert.ok(invalid > 500 && valid > 100, "the mutation mix exercises both sides");
  assert.deepEqual(failures.slice(0, 10), []);
});

test(`differential: number texts (seed ${SEED}): parsing rounds as JSON.parse, printing is String(n)`, (t) => {
  const rng = makeRng(SEED ^ 0x6e756d);
  const gen = makeGenerators(rng);
  const failures = [];
  const texts = [...NUMBER_TEXTS];
  for (let i = 0; i < 3000; i++) texts.push(gen.randomNumberText());
  for (const text of texts) {
    const failure = check(text) ?? check(`[${text},{"n":${text}}]`);
    if (failure) failures.push(failure);
  }
  t.diagnostic(`${texts.length} number texts, ${failures.length} disagreements`);
  assert.deepEqual(failures.slice(0, 10), []);
});

test("differential: bytes that are not valid UTF-8 decode as TextDecoder does (U+FFFD)", (t) => {
  const rng = makeRng(SEED ^ 0x757466);
  const SEQUENCES = [
    [0xff], [0xfe], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98],
    [0xc2], [0x80], [0xbf], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xc3, 0xa9],
    [0xe2, 0x80, 0xa8], [0xef, 0xbb, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xc2, 0x41],
  ];
  const cases = [];
  for (const seq of SEQUENCES) {
    cases.push(Uint8Array.from([0x22, ...seq, 0x22]));
    cases.push(Uint8Array.from([0x7b, 0x22, ...seq, 0x22, 0x3a, 0x31, 0x7d])); // {"<seq>":1}
    cases.push(Uint8Array.from([0x5b, 0x22, 0x61, ...seq, 0x62, 0x22, 0x5d]));
    cases.push(Uint8Array.from([...utf8("\"binary_U"), ...seq, 0x22]));
  }
  for (let i = 0; i < 400; i++) {
    const body = [];
    for (let n = rng.int(12); n > 0; n--) {
      if (rng.chance(0.5)) body.push(...rng.pick(SEQUENCES));
      else body.push(rng.chance(0.5) ? 0x20 + rng.int(0x5f) : 0x80 + rng.int(0x80));
    }
    cases.push(Uint8Array.from([0x22, ...body, 0x22]));
  }
  const failures = [];
  for (const bytes of cases) {
    const failure = check(bytes);
    if (failure) failures.push(failure);
  }
  t.diagnostic(`${cases.length} byte inputs with invalid UTF-8 (JSON.parse refuses ${cases.filter((b) => reference(b).error).length}), ${failures.length} disagreements`);
  assert.deepEqual(failures.slice(0, 10), []);
});

// ---- the rules of DESIGN.md section 3, one at a time -----------------------------------------
const RULES = [
  // keys sorted by UTF-16 code units, not UTF-8 bytes / code points
  ["keys by UTF-16 units: \\uffff after an astral key", "{\"\\uffff\":1,\"\\ud83d\\ude00\":2}", "{\"\ud83d\ude00\":2,\"\uffff\":1}"],
  ["keys by UTF-16 units: \\ue000 after an astral key", "{\"\\ue000\":1,\"\\ud83d\\ude00\":2}", "{\"\ud83d\ude00\":2,\"\ue000\":1}"],
  ["keys: case and length", "{\"b\":1,\"a\":2,\"B\":3,\"\":4,\"aa\":5,\"a\\u0000\":6}", "{\"\":4,\"B\":3,\"a\":2,\"a\\u0000\":6,\"aa\":5,\"b\":1}"],
  ["keys: integer-like keys sort as strings", "{\"10\":1,\"2\":2,\"1\":3,\"01\":4,\"-1\":5}", "{\"-1\":5,\"01\":4,\"1\":3,\"10\":1,\"2\":2}"],
  ["keys: nested objects sorted too", "{\"z\":{\"y\":1,\"x\":[{\"b\":1,\"a\":2}]},\"a\":0}", "{\"a\":0,\"z\":{\"x\":[{\"a\":2,\"b\":1}],\"y\":1}}"],
  // numbers as String(n)
  ["2^53+1 is a double", "9007199254740993", "9007199254740992"],
  ["1e21 -> 1e+21", "1e21", "1e+21"],
  ["1E21 -> 1e+21", "1E21", "1e+21"],
  ["1e20 in fixed notation", "1e20", "100000000000000000000"],
  ["1e-7", "1e-7", "1e-7"],
  ["0.0000001 -> 1e-7", "0.0000001", "1e-7"],
  ["0.000001 stays fixed", "0.000001", "0.000001"],
  ["123e-20", "123e-20", "1.23e-18"],
  ["-0 -> 0", "-0", "0"],
  ["-0.0 -> 0", "-0.0", "0"],
  ["1.000 -> 1", "1.000", "1"],
  ["1E5 -> 100000", "1E5", "100000"],
  ["0.1", "0.1", "0.1"],
  ["5e-324", "5e-324", "5e-324"],
  ["max double", "1.7976931348623157e308", "1.7976931348623157e+308"],
  ["overflow to Infinity -> null", "1e400", "null"],
  ["-overflow -> null", "-1e400", "null"],
  ["non-finite in an array -> null", "[1e400,-1e999]", "[null,null]"],
  ["non-finite in an object -> null, the key kept", "{\"a\":1e400}", "{\"a\":null}"],
  ["underflow -> 0", "[1e-400,-1e-400]", "[0,0]"],
  ["shortest digits", "[0.30000000000000004,1.1,123456789012345680000,4.35]", "[0.30000000000000004,1.1,123456789012345680000,4.35]"],
  // strings as JSON.stringify
  ["\\u00e9 written raw", "\"\\u00e9\"", "\"\u00e9\""],
  ["U+2028/U+2029 raw", "\"\\u2028\\u2029\"", "\"\u2028\u2029\""],
  ["\\/ -> /", "\"\\/\"", "\"/\""],
  ["controls: short escapes", "\"\\u0008\\u000c\\u000a\\u000d\\u0009\"", "\"\\b\\f\\n\\r\\t\""],
  ["controls: \\u00xx lowercase", "\"\\u0000\\u001F\\u000B\\u001b\"", "\"\\u0000\\u001f\\u000b\\u001b\""],
  ["DEL raw", "\"\\u007f\"", "\"\u007f\""],
  ["quote and backslash", "\"\\\"\\\\\"", "\"\\\"\\\\\""],
  ["escaped surrogate pair -> raw astral", "\"\\uD83D\\uDE00\"", "\"\ud83d\ude00\""],
  ["lone high surrogate -> \\ud800", "\"\\uD800\"", "\"\\ud800\""],
  ["lone low surrogate -> \\udfff", "\"a\\udfffb\"", "\"a\\udfffb\""],
  ["reversed pair stays two lone surrogates", "\"\\udc00\\ud800\"", "\"\\udc00\\ud800\""],
  ["lone surrogate in a key", "{\"\\ud800\":1}", "{\"\\ud800\":1}"],
  // the encrypted_U / binary_U quirk
  ["encrypted_U written raw", "\"encrypted_U\\\"x\\n\"", "\"encrypted_U\"x\n\""],
  ["binary_U written raw", "[\"binary_U\\\\\",\"binary_U\\u0000\"]", "[\"binary_U\\\",\"binary_U\u0000\"]"],
  ["quirk only for the exact prefix", "[\"encrypted_u\\n\",\"xbinary_U\\n\",\"Binary_U\\n\"]", "[\"encrypted_u\\n\",\"xbinary_U\\n\",\"Binary_U\\n\"]"],
  ["quirk not applied to keys", "{\"encrypted_U\\\"\":\"binary_U\\\"\"}", "{\"encrypted_U\\\"\":\"binary_U\"\"}"],
  ["quirk prefix alone", "[\"encrypted_U\",\"binary_U\"]", "[\"encrypted_U\",\"binary_U\"]"],
  // duplicate keys: the last wins
  ["duplicate key, last wins", "{\"a\":1,\"a\":2}", "{\"a\":2}"],
  ["duplicate key, value of another type", "{\"a\":1,\"b\":0,\"a\":{\"c\":1}}", "{\"a\":{\"c\":1},\"b\":0}"],
  ["duplicate key spelled with an escape", "{\"a\":1,\"\\u0061\":2}", "{\"a\":2}"],
  ["duplicate __proto__", "{\"__proto__\":1,\"__proto__\":{\"x\":2}}", "{\"__proto__\":{\"x\":2}}"],
  ["triple duplicate, nested", "{\"k\":[1],\"k\":{\"k\":1,\"k\":2},\"k\":{\"k\":3}}", "{\"k\":{\"k\":3}}"],
  // whitespace, scalars, empties
  ["insignificant whitespace", " { \"b\" : [ 1 , 2 ] ,\n\t\"a\":null }\r\n", "{\"a\":null,\"b\":[1,2]}"],
  ["empty containers and string", "[{},[],\"\"]", "[{},[],\"\"]"],
  ["literals", "[true,false,null]", "[true,false,null]"],
  ["top-level string", "\"x\"", "\"x\""],
  ["top-level number with whitespace", "\t 12 \n", "12"],
];

for (const [name, text, expected] of RULES) {
  test(`rule: ${name}`, () => {
    // the expectation is cojson's own result (keeps this table honest)
    assert.equal(wellFormed(stableStringify(JSON.parse(text))), expected, "table entry disagrees with stableStringify");
    assert.equal(core.canonicalize(text), expected);
    assert.equal(core.canonicalize(utf8(text)), expected, "as bytes");
    assert.equal(core.secureHash(text), refSecureHash(JSON.parse(text)));
  });
}

test("secureHash / shortHash: formats and lengths", () => {
  const h = core.secureHash("{}");
  assert.equal(h, refSecureHash({}));
  assert.match(h, /^hash_z[1-9A-HJ-NP-Za-km-z]{43,44}$/);
  const s = core.shortHash("{}");
  assert.equal(s, refShortHash({}));
  assert.match(s, /^shortHash_z[1-9A-HJ-NP-Za-km-z]+$/);
  // same value, different texts, same hash
  assert.equal(core.secureHash("{\"b\":1,\"a\":[1.0,\"\\u00e9\"]}"), core.secureHash(" {\"a\" : [1, \"\u00e9\"], \"b\": 1e0}"));
  assert.notEqual(core.secureHash("{\"a\":1}"), core.secureHash("{\"a\":2}"));
});

test("raw lone surrogates in a JS string input: same result as JSON.parse on that string", () => {
  // A JS string can carry a lone surrogate raw (not as an escape); JSON.parse keeps it, and
  // stableStringify escapes it as \udxxx. Encoding the input with TextEncoder first would turn it
  // into U+FFFD and change both the canonical text and the hash.
  for (const text of ["\"\ud800\"", "{\"\udfff\":\"a\ud83d\"}", "[\"x\udc00y\"]"]) {
    const value = JSON.parse(text);
    assert.equal(core.canonicalize(text), stableStringify(value), `canonicalize(${show(text)})`);
    assert.equal(core.secureHash(text), refSecureHash(value), `secureHash(${show(text)})`);
  }
});

// ---- errors -------------------------------------------------------------------------------
const NOT_JSON = [
  "", " ", "\n\t", "{", "}", "[", "]", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "'a'", "\"a", "\"\\x\"", "\"\\u12\"",
  "\"\\u12G4\"", "\"\\U0041\"", "\"\\'\"", "\"\t\"", "\"\n\"", "\"\u0000\"", "\"\u001f\"", "01", "-01", "00", "+1", ".5",
  "1.", "1.e5", "1e", "1e+", "-", "--1", "0x10", "NaN", "Infinity", "-Infinity", "undefined", "nul", "True", "nulll",
  "[1,,2]", "[,1]", "{\"a\" 1}", "{\"a\":}", "{,}", "{\"a\":1 \"b\":2}", "{1:2}", "/* c */ 1", "1 // c",
  "\u000b1", "\f1", "\u00a01", "1\u00a0", "\u20281", "1\u2028", "\u00851",
  // trailing garbage
  "null null", "1 2", "{} []", "[1] x", "{\"a\":1}}", "[1]]", "\"a\"\"b\"", "{}\u0000", "[1]  ,", "truex", "1e5e5",
  " \ufeff1", "1\ufeff",
];

test(`errors: ${NOT_JSON.length} invalid texts -> ERR_NOT_JSON (400), as JSON.parse refuses them`, () => {
  for (const text of NOT_JSON) {
    assert.throws(() => JSON.parse(text), SyntaxError, `sanity: JSON.parse(${show(text)})`);
    assert.throws(() => core.canonicalize(text), jazzError("ERR_NOT_JSON", 400), `canonicalize(${show(text)})`);
    assert.throws(() => core.secureHash(text), jazzError("ERR_NOT_JSON", 400), `secureHash(${show(text)})`);
  }
});

test("errors: a leading BOM in a string input is refused, as JSON.parse refuses it", () => {
  // A JS string has already been decoded; JSON.parse("\ufeff…") throws. (Bytes are different:
  // TextDecoder drops the BOM, see the next test.)
  for (const text of ["\ufeff1", "\ufeff{}", "\ufeff {\"a\":1}"]) {
    assert.throws(() => JSON.parse(text), SyntaxError);
    assert.throws(() => core.canonicalize(text), jazzError("ERR_NOT_JSON", 400), `canonicalize(${show(text)})`);
    assert.throws(() => core.secureHash(text), jazzError("ERR_NOT_JSON", 400), `secureHash(${show(text)})`);
  }
});

test("errors: invalid bytes -> ERR_NOT_JSON; a leading UTF-8 BOM in bytes is dropped (TextDecoder, Request.json())", () => {
  assert.throws(() => core.canonicalize(new Uint8Array(0)), jazzError("ERR_NOT_JSON", 400), "empty bytes");
  assert.throws(() => core.canonicalize(Uint8Array.from([0x31, 0x00])), jazzError("ERR_NOT_JSON", 400), "1 NUL");
  assert.throws(() => core.canonicalize(utf8("{\"a\":1} x")), jazzError("ERR_NOT_JSON", 400), "trailing garbage");
  assert.throws(() => core.canonicalize(Uint8Array.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x31])), jazzError("ERR_NOT_JSON", 400), "two BOMs");
  const bom = Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8("{\"b\":1,\"a\":2}")]);
  assert.equal(core.canonicalize(bom), "{\"a\":2,\"b\":1}");
  assert.equal(core.secureHash(bom), refSecureHash({ a: 2, b: 1 }));
});

test("errors: maxBytes counts UTF-8 bytes; at the limit ok, one over -> ERR_TOO_LARGE (413)", () => {
  const text = JSON.stringify("x".repeat(98)); // 100 bytes
  assert.equal(core.canonicalize(text, { maxBytes: 100 }), text);
  assert.throws(() => core.canonicalize(text, { maxBytes: 99 }), jazzError("ERR_TOO_LARGE", 413));
  assert.throws(() => core.canonicalize(utf8(text), { maxBytes: 99 }), jazzError("ERR_TOO_LARGE", 413), "bytes");
  const wide = "\"" + "\u00e9".repeat(50) + "\""; // 52 UTF-16 units, 102 UTF-8 bytes
  assert.equal(core.canonicalize(wide, { maxBytes: 102 }), wide);
  assert.throws(() => core.canonicalize(wide, { maxBytes: 101 }), jazzError("ERR_TOO_LARGE", 413), "multi-byte text");
  // size is checked before syntax
  assert.throws(() => core.canonicalize("{".repeat(200), { maxBytes: 100 }), jazzError("ERR_TOO_LARGE", 413));
});

test("errors: default limit is 1 MiB (README): 1 MiB ok, one byte more -> ERR_TOO_LARGE", () => {
  const MiB = 1 << 20;
  const atLimit = JSON.stringify("a".repeat(MiB - 2));
  assert.equal(utf8(atLimit).length, MiB);
  assert.equal(core.secureHash(atLimit), refSecureHash(JSON.parse(atLimit)));
  const over = JSON.stringify("a".repeat(MiB - 1));
  assert.throws(() => core.canonicalize(over), jazzError("ERR_TOO_LARGE", 413));
  assert.throws(() => core.secureHash(over), jazzError("ERR_TOO_LARGE", 413));
  // an explicit larger limit lets it through
  assert.equal(core.canonicalize(over, { maxBytes: MiB + 1 }), over);
});

const nestArrays = (n) => "[".repeat(n) + "]".repeat(n);
const nestObjects = (n) => "{\"a\":".repeat(n) + "1" + "}".repeat(n);

test("errors: maxDepth; nesting at the limit ok, one deeper -> ERR_TOO_DEEP (400)", () => {
  for (const d of [1, 2, 5, 20]) {
    assert.equal(core.canonicalize(nestArrays(d), { maxDepth: d }), nestArrays(d));
    assert.equal(core.canonicalize(nestObjects(d), { maxDepth: d }), nestObjects(d));
    assert.throws(() => core.canonicalize(nestArrays(d + 1), { maxDepth: d }), jazzError("ERR_TOO_DEEP", 400), `arrays, ${d}`);
    assert.throws(() => core.canonicalize(nestObjects(d + 1), { maxDepth: d }), jazzError("ERR_TOO_DEEP", 400), `objects, ${d}`);
  }
  assert.equal(core.canonicalize("[{\"a\":[1]}]", { maxDepth: 3 }), "[{\"a\":[1]}]");
  assert.throws(() => core.canonicalize("[{\"a\":[[1]]}]", { maxDepth: 3 }), jazzError("ERR_TOO_DEEP", 400), "mixed");
  assert.equal(core.canonicalize("1", { maxDepth: 1 }), "1");
});

test("errors: default depth 64 (README); very deep input is refused without exhausting the stack", () => {
  assert.equal(core.canonicalize(nestArrays(64)), nestArrays(64));
  assert.throws(() => core.canonicalize(nestArrays(65)), jazzError("ERR_TOO_DEEP", 400));
  assert.throws(() => core.canonicalize(nestArrays(100000)), jazzError("ERR_TOO_DEEP", 400));
  assert.throws(() => core.secureHash(nestObjects(100000)), jazzError("ERR_TOO_DEEP", 400));
  // unclosed deep input: refused with a JazzRpcError (either verdict), not a crash
  assert.throws(() => core.canonicalize("[".repeat(200000)), (err) => ["ERR_TOO_DEEP", "ERR_NOT_JSON"].includes(err?.code));
  // a caller asking for more depth than the core allows still gets an answer, not a trap
  let result;
  try {
    result = core.canonicalize(nestArrays(5000), { maxDepth: 1e6 });
  } catch (err) {
    result = err;
  }
  assert.ok(result === nestArrays(5000) || result?.code === "ERR_TOO_DEEP", `got ${result?.code ?? String(result).slice(0, 40)}`);
  // and the core still works afterwards
  assert.equal(core.canonicalize("{\"b\":1,\"a\":2}"), "{\"a\":2,\"b\":1}");
});
