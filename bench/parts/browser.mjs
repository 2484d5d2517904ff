// ed25519 sign and verify in headless Chromium, ops/s: jazzrpc's browser core (the glue's
// ES modules, the wasm fetched by init(fetch(url))) against libsodium.js (libsodium-wrappers'
// ESM build), one message (the quoted "hash_z…" cojson signs, as in ed25519.mjs), one key,
// both in the same page, repetitions interleaved (bench/browser/measure.mjs mirrors
// bench/lib/measure.mjs's compare(): BUDGET seconds × reps, median). Also the cold start of
// each, in fresh browser contexts: import of the jazzrpc/browser bundle (esbuild --minify, as
// run.mjs sizes it) + init(fetch(wasm)) for ours, import + ready for libsodium.js.
// ed25519 is deterministic, so both must make the same signature: checked first.
//
//   node parts/browser.mjs [wasm]     (or BENCH_BROWSER_WASM=path)
//
// The wasm defaults to js-glue/dist/jazzrpc-client.wasm when it exists, else
// js-glue/dist/jazzrpc.wasm; the result names the file measured. CHROMIUM_PATH overrides
// /usr/bin/chromium. Served by a node:http server on 127.0.0.1 (a free port): the glue
// (js-glue/src), the wasm, libsodium-wrappers + libsodium (dist/modules-esm), bench/browser/.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { BUDGET, OUT, ROOT, emit, log, median, round } from "../lib/measure.mjs";

const BENCH = fileURLToPath(new URL("../", import.meta.url));
const started = performance.now();
const at = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

// ---- which wasm ----------------------------------------------------------------------
const clientWasm = join(ROOT, "js-glue/dist/jazzrpc-client.wasm");
const chosen = process.argv[2] ?? process.env.BENCH_BROWSER_WASM;
const wasmPath = chosen ? resolve(chosen) : existsSync(clientWasm) ? clientWasm : join(ROOT, "js-glue/dist/jazzrpc.wasm");
if (!existsSync(wasmPath)) throw new Error(`${wasmPath} is missing (make wasm builds it)`);
const wasmName = basename(wasmPath);
const wasmUrl = `/wasm/${wasmName}`;

// ---- the message and the keys, as ed25519.mjs makes them ------------------------------
// (in Node, with the full core: the browser core has no secureHash)
const { core } = await import(ROOT + "js-glue/src/entries/node.js");
const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff);
const hash = core.secureHash('{"bench":true}');
const message = new TextEncoder().encode(JSON.stringify(hash)); // "\"hash_z…\""
const { signerSecret, signerID } = core.signKeypair(seed);
const expectedSignature = Buffer.from(core.signDetached(message, seed)).toString("hex");
// A request as send() signs it (rpc/client.js): the client's Signer, a small value.
const spec = {
  kind: "request",
  url: "/api/book",
  workerId: core.accountId(core.signKeypair(Uint8Array.from({ length: 32 }, (_, i) => 255 - i)).signerID),
  nonce: "zBench1",
  value: { eventId: "e1", seats: [1, 2] },
  createdAt: 1_700_000_000_000,
};

// What a page ships: the jazzrpc/browser entry bundled and minified (bench/run.mjs sizes the same).
mkdirSync(OUT, { recursive: true });
const bundlePath = join(OUT, "jazzrpc-browser-part.min.js");
execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(ROOT, "js-glue/src/entries/browser.js"), "--bundle", "--minify", "--format=esm", "--platform=neutral", `--outfile=${bundlePath}`, "--log-level=error"]);
const bundleUrl = "/bundle/jazzrpc-browser.min.js";

// ---- the server ----------------------------------------------------------------------
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html; charset=utf-8", ".wasm": "application/wasm" };
const FOLDERS = [
  ["/js-glue/src/", join(ROOT, "js-glue/src")],
  ["/bench/browser/", join(BENCH, "browser")],
];
// bench/browser/measure.mjs imports ../lib/timing.mjs
const FILES = new Map([
  ["/", join(BENCH, "browser/index.html")],
  ["/bench/lib/timing.mjs", join(BENCH, "lib/timing.mjs")],
  [wasmUrl, wasmPath],
  [bundleUrl, bundlePath],
  ["/libsodium/libsodium-wrappers.mjs", join(BENCH, "node_modules/libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs")],
  ["/libsodium/libsodium.mjs", join(BENCH, "node_modules/libsodium/dist/modules-esm/libsodium.mjs")],
]);

function fileOf(pathname) {
  if (FILES.has(pathname)) return FILES.get(pathname);
  for (const [prefix, dir] of FOLDERS) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolve(dir, "." + decodeURIComponent(pathname.slice(prefix.length - 1)));
    if (!file.startsWith(dir + sep)) return null; // no way out of the folder
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

const server = createServer((req, res) => {
  const file = req.method === "GET" ? fileOf(new URL(req.url, "http://127.0.0.1").pathname) : null;
  if (!file) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    return;
  }
  // no-store: every cold start fetches and compiles afresh, as on a first visit
  res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" });
  res.end(readFileSync(file));
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- Chromium ------------------------------------------------------------------------
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const profile = await mkdtemp(join(tmpdir(), "jazzrpc-bench-chromium-"));
let browser = null;
let result;
try {
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    headless: true,
    timeout: 60_000,
    protocolTimeout: 180_000,
  });
  const chromium = await browser.version();
  log(`${chromium}, ${wasmName} (${statSync(wasmPath).size} bytes), ${origin}`);

  // Opens the page in a context of its own (a fresh renderer: nothing compiled or cached yet).
  const open = async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const seen = [];
    page.on("console", (m) => seen.push(`console.${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => seen.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => seen.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => r.status() !== 200 && seen.push(`${r.status()} ${r.url()}`));
    await page.goto(`${origin}/`, { waitUntil: "load", timeout: 30_000 });
    await page.waitForFunction(() => globalThis.bench !== undefined, { timeout: 30_000 });
    const call = async (fn, ...args) => {
      try {
        return await page.evaluate(fn, ...args);
      } catch (error) {
        throw new Error(`${error.message}${seen.length ? `\n${seen.join("\n")}` : ""}`);
      }
    };
    return { call, close: () => context.close() };
  };

  // Cold starts, alternating, each in a fresh context.
  // (a fresh context costs about a second: its renderer process starts; three keep the part near a minute)
  const loads = 3;
  log(`cold starts: ${loads} of each, alternating, each in a fresh browser context (${at()})`);
  const starts = { ours: [], libsodium_wrappers: [] };
  for (let i = 0; i < loads; i++) {
    for (const which of ["ours", "libsodium_wrappers"]) {
      const page = await open();
      try {
        starts[which].push(await page.call((w, url, b) => globalThis.bench.load(w, url, b), which, wasmUrl, bundleUrl));
      } finally {
        await page.close();
      }
    }
  }
  const medianOf = (list, key) => round(median(list.map((s) => s[key])));
  const instantiate = {
    ours: { init_ms: medianOf(starts.ours, "init_ms"), import_ms: medianOf(starts.ours, "import_ms"), total_ms: medianOf(starts.ours, "total_ms"), samples: starts.ours },
    libsodium_wrappers: {
      import_ms: medianOf(starts.libsodium_wrappers, "import_ms"),
      ready_ms: medianOf(starts.libsodium_wrappers, "ready_ms"),
      total_ms: medianOf(starts.libsodium_wrappers, "total_ms"),
      samples: starts.libsodium_wrappers,
    },
  };

  // Throughput, in one page.
  const page = await open();
  const setup = await page.call((args) => globalThis.bench.setup(args), {
    wasmUrl,
    seedHex: Buffer.from(seed).toString("hex"),
    messageHex: Buffer.from(message).toString("hex"),
    signerSecret,
    spec,
  });
  if (setup.signature !== expectedSignature) throw new Error("the page's signature is not the one Node's core makes");
  log(`${at()}: checked: same signature from both, each verifies the other's, a changed one fails on both; ${message.length}-byte message`);
  const budget = { seconds: BUDGET.seconds, reps: BUDGET.reps };
  log(`ed25519 sign in Chromium (${budget.reps} × ${budget.seconds} s, interleaved) (${at()})`);
  const sign = await page.call((b) => globalThis.bench.run("sign", b), budget);
  log(`ed25519 verify in Chromium (${budget.reps} × ${budget.seconds} s, interleaved) (${at()})`);
  const verify = await page.call((b) => globalThis.bench.run("verify", b), budget);
  await page.close();

  const r = (a, b) => (a && b ? round(a / b) : null);
  result = {
    chromium,
    wasm: wasmPath.startsWith(ROOT) ? wasmPath.slice(ROOT.length) : wasmPath,
    wasm_bytes: statSync(wasmPath).size,
    message_bytes: message.length,
    signed_message_bytes: setup.signed_message_bytes,
    signer_detached: setup.signer_detached,
    signer_id: signerID,
    budget,
    sign,
    verify,
    ratio: {
      // The target's: ours signing with an expanded key, as libsodium.js does with its 64-byte
      // one: signDetached(msg, signer) where the glue has it, else signDetached(msg, seed).
      sign: r((sign.ours_signer_detached ?? sign.ours_wasm).median, sign.libsodium_wrappers.median),
      sign_method: sign.ours_signer_detached ? "signDetached(msg, signer)" : "signDetached(msg, seed)",
      // signDetached(msg, seed) derives the key at every call: against libsodium.js's 64-byte
      // key, and against libsodium.js deriving it too (crypto_sign_seed_keypair + sign)
      sign_seed: r(sign.ours_wasm.median, sign.libsodium_wrappers.median),
      sign_from_seed: r(sign.ours_wasm.median, sign.libsodium_wrappers_from_seed.median),
      verify: r(verify.ours_wasm.median, verify.libsodium_wrappers.median),
      signer_message_over_libsodium_sign: r(sign.ours_signer_message.median, sign.libsodium_wrappers.median),
      cold_start: r(instantiate.ours.total_ms, instantiate.libsodium_wrappers.total_ms),
    },
    instantiate,
    memory_bytes: setup.memory_bytes,
    user_agent: setup.user_agent,
    cross_origin_isolated: setup.cross_origin_isolated,
    seconds: round((performance.now() - started) / 1000, 3),
  };
} finally {
  await browser?.close();
  await new Promise((done) => server.close(done));
  await rm(profile, { recursive: true, force: true });
}
log(
  `sign (${result.ratio.sign_method}) ${round((result.sign.ours_signer_detached ?? result.sign.ours_wasm).median)} vs ${round(result.sign.libsodium_wrappers.median)} ops/s (${result.ratio.sign}×), ` +
    `verify ${round(result.verify.ours_wasm.median)} vs ${round(result.verify.libsodium_wrappers.median)} ops/s (${result.ratio.verify}×)`,
);
emit(result);
process.exit(0);
