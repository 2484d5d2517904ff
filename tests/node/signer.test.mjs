// core.openSigner: a secret decoded and expanded once in module memory (a worker
// signs every response with it). It signs byte for byte as the secret does, is
// refused once closed, and handle() answers with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { core } from "./_support.mjs";

const NOW = 1_764_000_000_000;
const seed = (n) => new Uint8Array(32).fill(n);

test("a signer signs exactly as its secret does, and names its public key", () => {
  const worker = core.signKeypair(seed(7));
  const signer = core.openSigner(worker.signerSecret);
  try {
    assert.equal(signer.signerID, worker.signerID);
    const spec = { kind: "response", url: "/api/book", workerId: core.accountId(worker.signerID), inResponseTo: "co_zRequest", nonce: "z1", value: { ticket: "t1", n: 1.5 }, createdAt: NOW };
    assert.equal(core.signMessage(signer, spec), core.signMessage(worker.signerSecret, spec));
    const verdict = core.verifyMessage(core.signMessage(signer, spec), { kind: "response", url: "/api/book", workerId: spec.workerId, inResponseTo: "co_zRequest" }, { now: NOW });
    assert.equal(verdict.ok, true, verdict.message);
    assert.deepEqual(verdict.value, spec.value);
  } finally {
    signer.close();
  }
});

test("a closed signer is refused, and a signer opened after it in its slot does not answer for it", () => {
  const a = core.openSigner(core.signKeypair(seed(1)).signerSecret);
  const spec = { kind: "request", url: "/a", workerId: "co_zW", nonce: "z", value: {}, createdAt: NOW };
  assert.ok(core.signMessage(a, spec).length > 0);
  a.close();
  a.close(); // twice is fine
  assert.throws(() => core.signMessage(a, spec), /closed/);
  const b = core.openSigner(core.signKeypair(seed(2)).signerSecret);
  try {
    assert.notEqual(b.signerID, a.signerID);
    const body = JSON.parse(core.signMessage(b, spec));
    assert.equal(body.signerID, b.signerID);
  } finally {
    b.close();
  }
});

test("a secret that is not one is refused when the signer is opened", () => {
  assert.throws(() => core.openSigner("signerSecret_zNotBase58!"), (error) => error.code === "ERR_BAD_KEY" || error.code === "ERR_BAD_ENCODING");
  assert.throws(() => core.openSigner(42), TypeError);
});

// Issue 17.5: a Signer is a capability. JavaScript cannot make one from a number (the
// handle it wraps is private), and nothing but a Signer that core.openSigner made signs.
test("a Signer cannot be made from an integer, nor its handle read or borrowed", async () => {
  const { Signer } = await import("../../js-glue/src/entries/node.js");
  const worker = core.signKeypair(seed(9));
  const signer = core.openSigner(worker.signerSecret);
  const spec = { kind: "response", url: "/a", workerId: core.accountId(worker.signerID), inResponseTo: "co_zR", nonce: "z", value: {}, createdAt: NOW };
  try {
    assert.equal(signer.handle, undefined, "the handle is not readable");
    assert.deepEqual(Object.keys(signer), ["signerID"]);
    // Every small integer a handle could be (slot 1..4, generations 0..3 of the old layout, and plain counters).
    for (const handle of [1, 2, 3, 4, 65537, 65538, 131073, 196609, 2 ** 31 - 1]) {
      assert.throws(() => new Signer(handle, "signer_zForged", () => {}), TypeError, `new Signer(${handle}) made a signer`);
    }
    // An object that only looks like one: refused, and signs nothing.
    const fake = Object.create(Signer.prototype);
    Object.defineProperty(fake, "handle", { value: 1 });
    assert.throws(() => core.signMessage(fake, spec), TypeError);
    class Borrowed extends Signer {}
    assert.throws(() => new Borrowed(1, "signer_z", () => {}), TypeError);
    // The real one still signs, as its key.
    assert.equal(JSON.parse(core.signMessage(signer, spec)).signerID, worker.signerID);
  } finally {
    signer.close();
  }
  assert.throws(() => core.signMessage(signer, spec), /closed/);
});
