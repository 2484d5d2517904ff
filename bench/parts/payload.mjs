// A real jazz-tools request body (~5.4 KB): secureHash of its signed content, and
// verification of the whole envelope, ours against cojson's, with one bare wasm
// ed25519 verify measured alongside (the envelope target is a multiple of it).
import { readFileSync } from "node:fs";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { compare, emit, log, OUT, ROOT } from "../lib/measure.mjs";

const { core } = await import(ROOT + "js-glue/src/entries/node.js");
const cojson = await WasmCrypto.create();
const encoder = new TextEncoder();

const { bodies } = JSON.parse(readFileSync(OUT + "jazz-bodies.json", "utf8"));
const items = bodies.map((text) => {
  const body = JSON.parse(text);
  const content = { contentPieces: body.contentPieces, id: body.id, createdAt: body.createdAt, signerID: body.signerID };
  const contentText = JSON.stringify(content);
  return { text, bytes: encoder.encode(text), body, content, contentText, now: body.createdAt + 1000 };
});
const n = items.length;

// ours and cojson agree on every body
for (const it of items) {
  const h = cojson.secureHash(it.content);
  if (core.secureHash(it.contentText) !== h) throw new Error("secureHash differs from cojson's");
  if (!cojson.verify(it.body.authToken, h, it.body.signerID)) throw new Error("cojson does not verify a jazz-tools body");
  const verdict = core.verifyEnvelope(it.text, { now: it.now });
  if (!verdict.ok) throw new Error(`ours refuses a jazz-tools body: ${verdict.code}`);
}

// a bare ed25519 verify through the same API, on the message an envelope signs
const sample = items[0];
const signedHash = cojson.secureHash(sample.content);
const message = encoder.encode(JSON.stringify(signedHash));
const signature = core.base58Decode(sample.body.authToken.slice("signature_z".length));
const publicKey = core.base58Decode(sample.body.signerID.slice("signer_z".length));
if (!core.verifyDetached(signature, message, publicKey)) throw new Error("bare verify fails");

const mustBeOk = (v) => {
  if (!v.ok) throw new Error(v.code);
  return v;
};

log("secureHash of the signed content");
const hash = await compare({
  ours_wasm_from_text: { fn: (i) => core.secureHash(items[i % n].contentText) },
  cojson_from_value: { fn: (i) => cojson.secureHash(items[i % n].content) },
  cojson_from_text: { fn: (i) => cojson.secureHash(JSON.parse(items[i % n].contentText)) },
});
log("envelope verification");
const envelope = await compare({
  ours_wasm_text: { fn: (i) => mustBeOk(core.verifyEnvelope(items[i % n].text, { now: items[i % n].now })) },
  ours_wasm_bytes: { fn: (i) => mustBeOk(core.verifyEnvelope(items[i % n].bytes, { now: items[i % n].now })) },
  cojson_parse_hash_verify: {
    fn: (i) => {
      const it = items[i % n];
      const b = JSON.parse(it.text);
      const h = cojson.secureHash({ contentPieces: b.contentPieces, id: b.id, createdAt: b.createdAt, signerID: b.signerID });
      if (!cojson.verify(b.authToken, h, b.signerID)) throw new Error("cojson refused");
      return h;
    },
  },
  ours_wasm_bare_verify: {
    fn: () => {
      if (!core.verifyDetached(signature, message, publicKey)) throw new Error("bare verify failed");
      return true;
    },
  },
});
emit({
  body_bytes: items.map((it) => it.bytes.length),
  content_bytes: Buffer.byteLength(sample.contentText),
  bodies: n,
  hash,
  envelope,
});
process.exit(0);
