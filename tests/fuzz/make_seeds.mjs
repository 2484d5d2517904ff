// Writes the committed seed corpora of tests/fuzz/corpus/ (run after `make wasm`):
//   node tests/fuzz/make_seeds.mjs
// Envelope bodies come from the CLI (js-glue/bin/jazzrpc.js sign), messages and auth
// tokens from the wasm core, jazz-tools bodies from tests/fixtures. Keys are the fuzz
// targets' fixed ones (fuzz_common.h): seed bytes 0x01 (client) and 0x02 (worker); times
// are fixed, so the output is the same on every run.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { core } from "jazzrpc/node";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const corpus = join(here, "corpus");
const cli = join(root, "js-glue", "bin", "jazzrpc.js");
const fixtures = join(root, "tests", "fixtures", "jazz-tools-0.20.19");

const T0 = 1795585768507; // the fixtures' createdAt
const client = core.signKeypair(new Uint8Array(32).fill(1));
const worker = core.signKeypair(new Uint8Array(32).fill(2));
const clientId = core.accountId(client.signerID);
const workerId = core.accountId(worker.signerID);
const url = "/api/book-event-ticket";

const seeds = {};
function add(target, name, text) {
  (seeds[target] ??= []).push([name, text]);
}

// ---- envelopes, from the CLI ----
function cliSign(input, args = []) {
  return execFileSync(process.execPath, [cli, "sign", "--now", String(T0), ...args], {
    env: { ...process.env, JAZZRPC_SECRET: client.signerSecret },
    input: JSON.stringify(input),
    encoding: "utf8",
  }).trim();
}
const envelopes = [
  ["empty", cliSign([])],
  ["values", cliSign([{ eventId: "evt_1", seats: 2, price: 12.5, tags: ["a", "b"], ok: true, none: null }])],
  ["unicode", cliSign([{ "é": "ü€😀", "\u2028": "line\u2028sep", esc: "q\"b\\n\n\t\u0001", "": "" }])],
  ["numbers", cliSign([[0, -0, 1e21, 1e-7, 123456789012345680000, 5e-324, 1.7976931348623157e308, 0.1, -1.5e-10]])],
  ["raw", cliSign([{ cipher: "encrypted_UabcXYZ-_=", bin: "binary_UAAEC", key: "key_z3nvNhJpWL4JZRyMBg" }])],
  ["with-id", cliSign({ contentPieces: [{ a: 1 }], id: "co_zAuNnbnZYADr2Ed5zogGsrt3gkp" })],
];
for (const [name, body] of envelopes) add("envelope", `cli-${name}.json`, body);

// ---- jazzrpc messages ----
const request = core.signMessage(client.signerSecret, {
  kind: "request", url, workerId, nonce: "zSeedNonce1", value: { eventId: "evt_1" }, createdAt: T0,
});
const requestId = JSON.parse(request).id;
const response = core.signMessage(worker.signerSecret, {
  kind: "response", url, workerId, inResponseTo: requestId, nonce: "zSeedNonce2",
  value: { ticketId: "tkt_1", seats: [1, 2], note: "ünïcode\u2028" }, createdAt: T0 + 5,
});
const nested = core.signMessage(client.signerSecret, {
  kind: "request", url, workerId, nonce: "zSeedNonce3",
  value: { a: { b: [{ c: "encrypted_Uxyz" }, 1e21, -0.5, null, true] }, "": "" }, createdAt: T0 + 7,
});
for (const target of ["message", "resign_message"]) {
  add(target, "request.json", request);
  add(target, "response.json", response);
  add(target, "request-nested.json", nested);
}
add("envelope", "message-request.json", request);
add("abi", "request.json", request);
add("abi", "response.json", response);

// ---- jazz-tools bodies (the fixtures) ----
const jazzRequest = readFileSync(join(fixtures, "request.json"), "utf8").trim();
const jazzResponse = readFileSync(join(fixtures, "response.json"), "utf8").trim();
// The response is {"type":"success","payload":<envelope>}; the client verifies the payload.
const jazzResponsePayload = JSON.stringify(JSON.parse(jazzResponse).payload);
for (const target of ["jazz", "resign_jazz"]) {
  add(target, "jazz-tools-request.json", jazzRequest);
  add(target, "jazz-tools-response-payload.json", jazzResponsePayload);
}
add("jazz", "jazz-tools-response.json", jazzResponse);
add("envelope", "jazz-tools-request.json", jazzRequest);
add("abi", "jazz-tools-response-payload.json", jazzResponsePayload);

// ---- JSON texts ----
const jsonTexts = {
  "object.json": '{"b":1,"a":[true,false,null],"a":"last wins","\\u00e9":"\\ud83d\\ude00"}',
  "numbers.json": "[0,-0,1E400,-1e-400,9007199254740993,1e21,1e-7,123e-20,0.000001,5e-324,1.7976931348623157e308]",
  "strings.json": '["\\u0000\\b\\f\\n\\r\\t\\"\\\\\\/","\\ud800","\\udc00x","\u2028","encrypted_U\\"raw","binary_Uok"]',
  "bom-space.json": "\ufeff \t\r\n{ \"k\" : [ ] }",
  "utf16-order.json": '{"\\uffff":1,"\\ud83d\\ude00":2,"z":3,"Z":4,"":5}',
  "deep.json": "[".repeat(64) + "]".repeat(64),
  "request-body.json": request,
};
for (const [name, text] of Object.entries(jsonTexts)) add("json", name, text);
add("json", "invalid-utf8.json", Buffer.from([0x22, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xff, 0x22]));

// ---- base58 and prefixed ids ----
const signature = JSON.parse(request).authToken;
for (const [name, text] of [
  ["signer.txt", client.signerID],
  ["account.txt", clientId],
  ["signature.txt", signature],
  ["secret.txt", client.signerSecret], // the fixed, public test seed 0x01…
  ["hash.txt", core.secureHash("{}")],
  ["short-hash.txt", core.shortHash("{}")],
  ["zeros.txt", "1111" + "z".repeat(40)],
]) {
  add("base58", name, text);
}

// ---- auth tokens ----
add("auth_token", "token.txt", core.createAuthToken(client.signerSecret, clientId, T0));
add("auth_token", "token-other-id.txt", core.createAuthToken(client.signerSecret, workerId, T0 + 1));
add("auth_token", "token-zero.txt", core.createAuthToken(client.signerSecret, clientId, 0));
add("abi", "token.txt", core.createAuthToken(client.signerSecret, clientId, T0));

// Write, replacing each target's folder.
for (const [target, files] of Object.entries(seeds)) {
  const dir = join(corpus, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
}
console.log(`seeds written to ${corpus}; the message seeds' request id: ${requestId}`);
