// The jazz-tools path in real workerd (Miniflare, offline): a Worker bundled by
// wrangler with jazz-tools 0.20.19 and its edge wasm loader, jazzrpc/jazz and
// jazzrpc/cloudflare. A real jazz-tools client books through our handle() with the
// jazz-tools worker Account and the Durable Object replay guard; and without the
// loader, jazz-tools stops where docs/compatibility.md says.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bundleWorker, describeBundle, removeDir, startLocal, tempDir } from "../workerd/_support.mjs";

const configOf = (name) => fileURLToPath(new URL(name, import.meta.url));
const TIMEOUT = 20_000;

let local;
let bundle;
let outdir;
before(async () => {
  outdir = await tempDir("workerd-jazz-bundle");
  const configPath = configOf("./wrangler.jsonc");
  bundle = await bundleWorker(configPath, outdir);
  local = await startLocal({ configPath, bundle });
});
after(async () => {
  await local?.dispose();
  if (outdir) await removeDir(outdir);
});

async function call(path, init = {}) {
  const response = await fetch(new URL(path, local.url), { ...init, signal: AbortSignal.timeout(TIMEOUT) });
  return { status: response.status, headers: response.headers, body: await response.json() };
}
async function get(path) {
  const { status, body } = await call(path);
  assert.equal(status, 200, body.message ?? JSON.stringify(body));
  return body;
}

const assertBooked = (booking) => {
  assert.equal(booking.ok, true, JSON.stringify(booking));
  assert.equal(booking.loaded, true, "the response's ticket arrives loaded");
  assert.equal(booking.ticketAccount, booking.client, "madeBy was the client's jazz-tools account");
  assert.equal(booking.ticketEvent, booking.event);
};
const assertFull = (booking, { jazzToolsError }) => {
  assert.deepEqual(
    { ok: booking.ok, message: booking.message, code: booking.code, jazzToolsError: booking.jazzToolsError },
    { ok: false, message: "Event is full", code: 400, jazzToolsError },
  );
};
// A duplicate of a handled body: the stored answer (a signed success), marked as replayed.
const assertReplayed = (r) => {
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.equal(r.jazzError, null);
  assert.equal(r.replayed, "true");
  assert.equal(r.body.type, "success");
};

let firstBody;
test("workerd: a real jazz-tools client books through our handle() with the Durable Object guard; a duplicate gets the stored answer; Event is full", async (t) => {
  const r = await get("/jazz-client-to-ours");
  t.diagnostic(describeBundle(bundle).replaceAll("\n", "; "));
  assert.equal(r.crypto, "WasmCrypto", "jazz-tools runs on its wasm crypto, loaded by jazz-tools/load-edge-wasm");
  assert.equal(r.bookings.length, 3);
  assertBooked(r.bookings[0]);
  assertBooked(r.bookings[1]);
  assertFull(r.bookings[2], { jazzToolsError: true }); // jazz-tools' send() throws its own JazzRequestError
  assert.equal(r.reservations, 2);
  assertReplayed(r.replay);
  assert.deepEqual(r.errors, []);
  // Each request id is stored by the guard object that owns it: 3 claims (the third
  // booking is claimed before its handler says the event is full); the replay adds none.
  const added = r.storedAfter.map((n, i) => n - r.storedBefore[i]);
  t.diagnostic(`ids stored per shard by this run: ${added.join(", ")}`);
  assert.equal(added.reduce((a, b) => a + b, 0), 3);
  firstBody = r.firstBody;
});

test("workerd: the same body in another request, through a new route object, gets the answer the guard object stored", async () => {
  assert.ok(firstBody, "needs the first test's body");
  const { status, headers, body } = await call("/replay", { method: "POST", headers: { "Content-Type": "application/json" }, body: firstBody });
  assertReplayed({ status, jazzError: headers.get("X-Jazz-Request-Error"), replayed: headers.get("X-Jazz-Replayed"), body });
});

test("workerd: our send() with jazz-tools Accounts books through a real jazz-tools handle()", async () => {
  const r = await get("/our-client-to-jazz");
  assertBooked(r.bookings[0]);
  assertBooked(r.bookings[1]);
  assertFull(r.bookings[2], { jazzToolsError: true });
  assert.equal(r.reservations, 2);
});

test("workerd: a jazz-tools worker Account made in one request serves the bookings of later requests", async () => {
  await get("/isolate-setup");
  assertBooked(await get("/isolate-book?i=0"));
  assertBooked(await get("/isolate-book?i=1"));
  const full = await get("/isolate-book?i=2");
  assertFull(full, { jazzToolsError: true });
  assert.equal(full.reservations, 2);
});

test("workerd: the plain-schema path (jazzrpc Accounts) in the same bundle, with the Durable Object guard (a duplicate replayed)", async () => {
  const r = await get("/plain");
  assert.equal(r.ticketId, r.expected);
  assertReplayed(r.replay);
});

// Bundles and serves another Worker of this folder, answers what one GET of path returned.
async function getFromOtherWorker(config, path) {
  const dir = await tempDir("workerd-jazz-other");
  const configPath = configOf(config);
  const other = await startLocal({ configPath, bundle: await bundleWorker(configPath, dir) });
  try {
    const response = await fetch(new URL(path, other.url), { signal: AbortSignal.timeout(TIMEOUT) });
    return { status: response.status, body: await response.json() };
  } finally {
    await other.dispose();
    await removeDir(dir);
  }
}
const firstLines = (message, pattern) => message.split("\n").filter((line) => pattern.test(line)).join(" | ");

test("workerd without jazz-tools/load-edge-wasm: jazz-tools stops at its first WasmCrypto, wasm compiled from bytes is refused", async (t) => {
  const { status, body } = await getFromOtherWorker("./wrangler.no-loader.jsonc", "/jazz-client-to-ours");
  assert.equal(status, 500);
  assert.equal(body.failed, true);
  t.diagnostic(firstLines(body.message, /Error|at (async )?(initWasmCrypto|__wbg_load|setupJazzTestSync)/));
  // jazz-tools' message, the runtime's error it wraps, and where it was called.
  assert.match(body.message, /^Error: Critical Error: Failed to load WASM module/);
  assert.match(body.message, /You need to add `import "jazz-tools\/load-edge-wasm";` on top of your entry module to make Jazz work with Cloudflare workers/);
  assert.match(body.message, /Caused by: CompileError: WebAssembly\.instantiate\(\): Wasm code generation disallowed by embedder/);
  assert.match(body.message, /at initWasmCrypto[\s\S]*at async WasmCrypto\.create[\s\S]*at async setupJazzTestSync/);
});

test("workerd, jazz-tools accounts made at the top level: cojson-core-wasm's key generation gets no random values and traps", async (t) => {
  const { status, body } = await getFromOtherWorker("./wrangler.top-level.jsonc", "/");
  assert.equal(status, 200);
  assert.equal(body.failed, true, JSON.stringify(body));
  t.diagnostic(firstLines(body.message, /Error|at (newX25519PrivateKey|_?WasmCrypto\.newRandomSealer|LocalNode\.withNewlyCreatedAccount)/));
  // The Rust panic ("Calling Web API crypto.getRandomValues failed") goes to the console;
  // the caller sees the wasm trap, thrown from the first key jazz-tools generates.
  assert.match(body.message, /^RuntimeError: unreachable/);
  assert.match(body.message, /at newX25519PrivateKey [\s\S]*newRandomSealer[\s\S]*at LocalNode\.withNewlyCreatedAccount/);
});
