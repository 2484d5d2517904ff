// Peak wasm memory for the largest accepted body (issue 17.6): a 1 MiB hostile body grows
// the core's linear memory by at most 8 times its size, and a second identical body does
// not grow it further (what the first took is given back to the allocator and reused).
//
// Each case instantiates the shipped module (js-glue/dist/jazzrpc.wasm) afresh, so that
// its memory holds nothing but the core's start, and runs the body, as bytes, through the
// entry handle() uses: core.verifyMessage (and, for the envelope's own shapes,
// core.verifyEnvelope). The bodies are unsigned envelopes, so the core goes all the way:
// parse, shape, canonical text of contentPieces, hash, and the signature check that fails.
// Wasm memory never shrinks: its size after a call is the peak the call needed.
//
// Measured on the core of before (one node of 24 bytes per value, a heap block per
// container), growth x the body through verifyMessage: [0,0,...] 14.6, [{},...] 13.6,
// ["",...] 10.6, nesting 62 deep 24.1: see SECURITY.md ("issue 17.6").
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { Core } from "../../js-glue/src/core/core.js";

const WASM = new URL("../../js-glue/dist/jazzrpc.wasm", import.meta.url);
const MODULE = new WebAssembly.Module(readFileSync(WASM));
const MIB = 1 << 20;
const MAX_GROWTH = 8; // x the body's bytes
const NOW = 1_764_000_000_000;
const OPTIONS = { now: NOW };

// A fresh instance of the shipped module, with the host functions the glue gives it.
function instantiate() {
  let memory = null;
  const imports = {};
  for (const { module: ns, name } of WebAssembly.Module.imports(MODULE)) {
    let fn = () => 52; // ENOSYS, as the glue answers what the core does not need
    if (ns === "wasi_snapshot_preview1" && name === "random_get") {
      fn = (ptr, len) => (crypto.getRandomValues(new Uint8Array(memory.buffer, ptr >>> 0, len)), 0);
    } else if (ns === "env" && name === "emscripten_notify_memory_growth") {
      fn = () => {};
    }
    (imports[ns] ??= {})[name] = fn;
  }
  const instance = new WebAssembly.Instance(MODULE, imports);
  memory = instance.exports.memory;
  instance.exports._initialize?.();
  assert.equal(instance.exports.jazzrpc_init(), 0);
  return { core: new Core(instance.exports), memory };
}

// template with "@" replaced by as many copies of unit as keep it within size bytes (ASCII).
function fill(template, unit, size = MIB) {
  const count = Math.floor((size - (template.length - 1)) / unit.length);
  return template.replace("@", () => unit.repeat(count));
}

const signerID = "signer_z" + "1".repeat(43);
const workerId = "co_z" + "1".repeat(26);
const envelope = (pieces) =>
  `{"contentPieces":${pieces},"id":"co_zX","createdAt":${NOW},"authToken":"signature_zX","signerID":"${signerID}"}`;

const keys = (count) => Array.from({ length: count }, (_, i) => `"${(count - i).toString(36)}":0`).join(",");
function manyKeys() {
  let count = Math.floor(MIB / 9);
  let body = envelope(`[{${keys(count)}}]`);
  while (body.length > MIB) body = envelope(`[{${keys((count = Math.floor(count * 0.98)))}}]`);
  return body;
}

const SHAPES = [
  { name: "[0,0,...]", body: () => fill(envelope("[@0]"), "0,") },
  { name: "[{},{},...]", body: () => fill(envelope("[@{}]"), "{},") },
  { name: "[[],[],...]", body: () => fill(envelope("[@[]]"), "[],") },
  { name: '["","",...]', body: () => fill(envelope('[@""]'), '"",') },
  { name: "[0.5,0.5,...] (doubles)", body: () => fill(envelope("[@0]"), "0.5,") },
  // the body is depth 1, contentPieces 2: each piece opens 62 more, the most accepted (64)
  { name: "nesting 64 deep, repeated", body: () => fill(envelope("[@0]"), "[".repeat(62) + "]".repeat(62) + ",") },
  { name: "one object of 100,000+ keys in reverse order", body: manyKeys },
  { name: 'one key repeated ({"a":[0],"a":[0],...})', body: () => fill(envelope('[{@"a":1}]'), '"a":[0],') },
  { name: "one long string", body: () => fill(envelope('["@"]'), "a") },
  // through verifyEnvelope only: through verifyMessage the core of before passed this one
  { name: "one long string of 3-byte characters", body: () => fill(envelope('["@"]'), "\u20ac", MIB / 3), entries: ["verifyEnvelope"] },
];

const ENTRIES = [
  { name: "verifyMessage", call: (core, bytes) => core.verifyMessage(bytes, { kind: "request", url: "/api/x", workerId }, OPTIONS) },
  { name: "verifyEnvelope", call: (core, bytes) => core.verifyEnvelope(bytes, OPTIONS) },
];

for (const shape of SHAPES) {
  for (const entry of ENTRIES.filter(({ name }) => shape.entries?.includes(name) ?? true)) {
    test(`wasm memory: ${shape.name} through ${entry.name}`, (t) => {
      const bytes = new TextEncoder().encode(shape.body());
      assert.ok(bytes.length <= MIB && bytes.length > MIB * 0.95, `the body is near the limit (${bytes.length} of ${MIB})`);
      const { core, memory } = instantiate();
      const start = memory.buffer.byteLength;
      const first = entry.call(core, bytes);
      // parsed, shaped and hashed: only the (made up) signature is refused
      assert.equal(first.code, "ERR_BAD_SIGNATURE", `the core's answer (${first.message ?? ""})`);
      const afterFirst = memory.buffer.byteLength;
      const second = entry.call(core, bytes);
      assert.equal(second.code, "ERR_BAD_SIGNATURE");
      const afterSecond = memory.buffer.byteLength;
      const growth = (afterFirst - start) / bytes.length;
      t.diagnostic(
        `${bytes.length} bytes: memory ${(start / MIB).toFixed(1)} -> ${(afterFirst / MIB).toFixed(1)} MiB (growth ${growth.toFixed(1)}x the body), ` +
          `then ${(afterSecond / MIB).toFixed(1)} MiB after a second identical body`,
      );
      assert.ok(growth <= MAX_GROWTH, `${shape.name}: wasm memory grew ${growth.toFixed(1)} times the body (max ${MAX_GROWTH})`);
      assert.equal(afterSecond, afterFirst, `${shape.name}: a second identical body grew memory by ${afterSecond - afterFirst} bytes`);
    });
  }
}
