// Request and response nonces (js-glue/src/rpc/nonce.js): 16 random bytes each, in
// base58 after "z", drawn from a pooled buffer, every part handed out once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { core } from "./_support.mjs";
import { randomNonce } from "../../js-glue/src/rpc/nonce.js";

test("randomNonce: 16 bytes each, all distinct across several refills of the pool", () => {
  const count = 256 * 5 + 7; // past five refills of a 4 KiB pool
  const seen = new Set();
  const bytes = [];
  for (let i = 0; i < count; i++) {
    const nonce = randomNonce();
    assert.match(nonce, /^z[1-9A-HJ-NP-Za-km-z]+$/);
    const raw = core.base58Decode(nonce.slice(1));
    assert.equal(raw.length, 16, nonce);
    seen.add(nonce);
    bytes.push(...raw);
  }
  assert.equal(seen.size, count, "no nonce handed out twice");
  // Random, not a counter or zeros: every byte value occurs, roughly evenly.
  const counts = new Array(256).fill(0);
  for (const b of bytes) counts[b]++;
  const expected = bytes.length / 256;
  assert.ok(Math.min(...counts) > expected / 3 && Math.max(...counts) < expected * 3, `byte counts ${Math.min(...counts)}..${Math.max(...counts)} around ${expected}`);
});
