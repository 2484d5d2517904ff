// Seeds near the 1 MiB body limit, for a fuzz run that mutates large inputs
// (tests/fuzz/run.sh with FUZZ_SEEDS=<dir> FUZZ_FLAGS=-len_control=0): the hostile
// shapes of tests/node/linear-cost.test.mjs (long arrays of small values, deep nesting
// repeated, many keys, long strings and numbers) inside envelopes, and a signed plain
// body. Written to the folder given (default build/fuzz/large-seeds), about 12 MB, not
// committed. Needs the wasm (make wasm): node tests/fuzz/make_large_seeds.mjs [dir]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { core } from "../../js-glue/src/entries/node.js";

const out = process.argv[2] ?? new URL("../../build/fuzz/large-seeds", import.meta.url).pathname;
const MIB = 1 << 20;
const SIZE = MIB - 64; // room for a few bytes of mutation below the limit
const NOW = 1_700_000_000_000;
const fill = (template, unit) => template.replace("@", () => unit.repeat(Math.floor((SIZE - (template.length - 1)) / unit.length)));
const seed = (n) => new Uint8Array(32).fill(n);
const client = core.signKeypair(seed(1));
const envelope = (pieces) =>
  `{"contentPieces":${pieces},"id":"co_zX","createdAt":${NOW},"authToken":"signature_zX","signerID":"${client.signerID}"}`;
const signed = core.signEnvelope({ contentPieces: [{ text: "a".repeat(SIZE - 400) }], id: "co_zX", createdAt: NOW }, client.signerSecret);

const shapes = {
  "zeros.json": fill("[@0]", "0,"),
  "env-zeros.json": fill(envelope("[@0]"), "0,"),
  "env-empty-objects.json": fill(envelope("[@{}]"), "{},"),
  "env-deep.json": fill(envelope("[@0]"), "[".repeat(62) + "]".repeat(62) + ","),
  "env-keys.json": envelope(`[{${Array.from({ length: 90_000 }, (_, i) => `"${(90_000 - i).toString(36)}":0`).join(",")}}]`),
  "env-escapes.json": fill(envelope('["@"]'), String.raw`\u0000\ud83d\ude00\udc00\ud800\n\"\\\t\u00e9`),
  "env-long-number.json": fill(envelope("[9@]"), "7"),
  "signed-plain.json": signed,
};
const targets = ["json", "envelope", "message", "jazz", "abi", "resign_message", "resign_jazz"];
for (const target of targets) {
  mkdirSync(join(out, target), { recursive: true });
  for (const [name, text] of Object.entries(shapes)) {
    if (text.length > MIB) throw new Error(`${name}: ${text.length} bytes`);
    writeFileSync(join(out, target, name), text);
  }
}
console.log(`large seeds: ${Object.keys(shapes).length} shapes for ${targets.length} targets in ${out}`);
