// make bench: jazzrpc against its peers, everything in one run on one machine.
// Each part runs in its own Node process (bench/parts/), prints its figures as
// JSON, and this script gathers them into bench/results.json and a Markdown table:
// for each figure, ours and the peer side by side, and the ratio.
//
//   node bench/run.mjs            the full run (about a quarter of an hour)
//   QUICK=1 node bench/run.mjs    the quick run (under two minutes)
//   node bench/run.mjs --table F  the Markdown of an earlier run's results.json
//
// Environment: JAZZRPC_BENCH_BIN (the native bench program, default
// build/native/jazzrpc_bench), JAZZRPC_ROOT (another tree to measure, e.g. a
// patched copy), BENCH_RESULTS (the folder for results.json and results.md,
// default bench/), BENCH_SKIP (comma-separated parts to leave out: native,
// ed25519, browser, payload, replay, ours, jazz, jose, redis, workerd, exactly, http,
// rate-limit), BENCH_BROWSER_WASM (the wasm the browser part measures, default
// js-glue/dist/jazzrpc-client.wasm when it exists, else js-glue/dist/jazzrpc.wasm),
// CHROMIUM_PATH (default /usr/bin/chromium).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { OUT, QUICK, ROOT, round } from "./lib/measure.mjs";

const BENCH = fileURLToPath(new URL("./", import.meta.url));

// node bench/run.mjs --table results.json: the Markdown of an earlier run, nothing measured.
if (process.argv[2] === "--table") {
  process.stdout.write(render(JSON.parse(readFileSync(process.argv[3], "utf8"))).table);
  process.exit(0);
}
const RESULTS = process.env.BENCH_RESULTS ? process.env.BENCH_RESULTS.replace(/\/?$/, "/") : BENCH;
const skip = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
const started = Date.now();
mkdirSync(OUT, { recursive: true });

const N = QUICK
  ? { ours: 4000, jazzSeq: 500, jazzFlight: 500, workerd: 600 }
  : { ours: 20000, jazzSeq: 4000, jazzFlight: 2000, workerd: 4000 };

const step = (text) => console.error(`bench: ${text} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

/** Runs a part in its own process; returns its JSON (the last line of its stdout). */
function part(script, args = [], { optional = false } = {}) {
  const result = spawnSync(process.execPath, ["--expose-gc", join(BENCH, "parts", script), ...args.map(String)], {
    cwd: BENCH,
    env: process.env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 << 20,
  });
  const last = result.stdout.trim().split("\n").at(-1);
  if (result.status !== 0 || !last) {
    const message = `${script} ${args.join(" ")} failed (exit ${result.status})`;
    if (optional) return { error: message };
    throw new Error(message);
  }
  return JSON.parse(last);
}

// ---- the machine ---------------------------------------------------------------
const cpuModel = (() => {
  try {
    return readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim();
  } catch {
    return cpus()[0]?.model;
  }
})();
const machine = {
  date: new Date().toISOString(),
  nproc: Number(execFileSync("nproc", { encoding: "utf8" }).trim()),
  cpu: cpuModel,
  memoryGiB: round(totalmem() / 2 ** 30, 3),
  node: process.version,
  quick: QUICK,
};

// ---- sizes ---------------------------------------------------------------------
function sizeOf(paths) {
  const files = paths.map((p) => readFileSync(p));
  const raw = files.reduce((n, b) => n + b.length, 0);
  const gzip = files.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  return { raw, gzip, files: paths.map((p) => p.replace(ROOT, "").replace(BENCH, "bench/")) };
}
step("sizes");
const glueDir = join(ROOT, "js-glue/src");
const nm = join(BENCH, "node_modules");
// The browser core: the client build of the same C ABI (fewer exports), when built.
const clientWasm = join(ROOT, "js-glue/dist/jazzrpc-client.wasm");
const sizes = {
  ours_wasm: sizeOf([join(ROOT, "js-glue/dist/jazzrpc.wasm")]),
  ours_glue: sizeOf(
    readdirSync(glueDir, { recursive: true })
      .filter((f) => f.endsWith(".js"))
      .sort()
      .map((f) => join(glueDir, f)),
  ),
  libsodium_wrappers: sizeOf([
    join(nm, "libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs"),
    join(nm, "libsodium/dist/modules-esm/libsodium.mjs"),
  ]),
  cojson_core_wasm: sizeOf([
    join(nm, "cojson-core-wasm/public/cojson_core_wasm.wasm"),
    join(nm, "cojson-core-wasm/public/cojson_core_wasm.js"),
  ]),
};
sizes.ours_total = {
  raw: sizes.ours_wasm.raw + sizes.ours_glue.raw,
  gzip: sizes.ours_wasm.gzip + sizes.ours_glue.gzip,
};
// What a browser or a Worker ships: the "jazzrpc/browser" entry bundled and minified by
// esbuild (as wrangler and Vite do), beside the wasm. libsodium-wrappers' ESM build is
// minified already.
{
  const bundle = join(OUT, "jazzrpc-browser.min.js");
  execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(glueDir, "entries/browser.js"), "--bundle", "--minify", "--format=esm", "--platform=neutral", `--outfile=${bundle}`, "--log-level=error"]);
  sizes.ours_glue_bundle = sizeOf([bundle]);
  sizes.ours_shipped = { raw: sizes.ours_wasm.raw + sizes.ours_glue_bundle.raw, gzip: sizes.ours_wasm.gzip + sizes.ours_glue_bundle.gzip };
  if (existsSync(clientWasm)) {
    sizes.ours_client_wasm = sizeOf([clientWasm]);
    sizes.ours_client_shipped = {
      raw: sizes.ours_client_wasm.raw + sizes.ours_glue_bundle.raw,
      gzip: sizes.ours_client_wasm.gzip + sizes.ours_glue_bundle.gzip,
    };
  }
}

// ---- the parts -----------------------------------------------------------------
const results = { machine, sizes };

step("jazz-tools request bodies");
results.bodies = part("make-bodies.mjs", [16]);

if (!skip.has("native")) {
  step("native core");
  const bin = process.env.JAZZRPC_BENCH_BIN ?? join(ROOT, "build/native/jazzrpc_bench");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: make bench builds it (make native)`);
  const args = ["--body", join(OUT, "jazz-body.json"), ...(QUICK ? ["--quick"] : [])];
  results.native = JSON.parse(execFileSync(bin, args, { encoding: "utf8" }));
}
if (!skip.has("ed25519")) {
  step("ed25519 sign and verify");
  results.ed25519 = part("ed25519.mjs");
}
if (!skip.has("browser")) {
  step("ed25519 sign and verify in headless Chromium: jazzrpc's browser core against libsodium.js");
  results.browser = part("browser.mjs", [], { optional: true });
}
if (!skip.has("payload")) {
  step("secureHash and envelope verification of jazz-tools bodies");
  results.payload = part("payload.mjs");
}
if (!skip.has("replay")) {
  step("replay set");
  results.replay = part("replay.mjs");
}
results.handle = {};
if (!skip.has("ours")) {
  step(`our handle() on Node, ${N.ours} requests one at a time`);
  results.handle.ours_node_1 = part("handle-ours.mjs", [N.ours, 1]);
  step(`our handle() on Node, ${N.ours} requests one at a time, answers not stored (duplicates: "reject")`);
  results.handle.ours_node_1_reject = part("handle-ours.mjs", [N.ours, 1, "reject"]);
  step(`our handle() on Node, ${N.ours} requests 64 in flight`);
  results.handle.ours_node_64 = part("handle-ours.mjs", [N.ours, 64]);
}
if (!skip.has("jazz")) {
  step(`jazz-tools handle(), ${N.jazzSeq} requests one at a time`);
  results.handle.jazz_1 = part("handle-jazz.mjs", [N.jazzSeq, 1]);
  step(`jazz-tools handle(), ${N.jazzFlight} requests 64 in flight`);
  results.handle.jazz_64 = part("handle-jazz.mjs", [N.jazzFlight, 64]);
}
if (!skip.has("jose")) {
  step(`jose (compact JWS, EdDSA) against our handle(), ${N.ours} requests, interleaved`);
  results.jose = part("handle-jose.mjs", [N.ours], { optional: true });
}
if (!skip.has("redis")) {
  step("our handle() in 1 and 2 Node processes sharing a RedisReplayGuard");
  results.redis_procs = part("handle-redis-procs.mjs", [], { optional: true });
}
if (!skip.has("workerd")) {
  const ready =
    existsSync(join(ROOT, "workers-example/scripts/local.mjs")) &&
    existsSync(join(ROOT, "js-glue/src/entries/cloudflare.js")) &&
    existsSync(join(ROOT, "node_modules/miniflare"));
  if (ready) {
    // Four Workers in one run: an empty one, the route without a Durable Object, with the
    // Durable Object guard, and inside the owning Durable Object (exactlyOnce).
    step(`workerd taken apart: empty Worker, no guard, Durable Object guard, inside the object; ${N.workerd} requests each, one at a time and 64 in flight`);
    results.workerd = part("handle-workerd.mjs", ["--requests", N.workerd], { optional: true });
    for (const k of ["1", "64"]) {
      const load = results.workerd?.variants?.doGuard?.[k];
      if (load) results.handle[`ours_workerd_${k}`] = load;
    }
  } else {
    results.handle.ours_workerd_1 = { error: "workers-example/, js-glue/src/entries/cloudflare.js or miniflare is missing" };
  }
}
if (!skip.has("http")) {
  step("node:http from outside: the README's server and toNodeListener(route, handler) against a bare server doing one verify and one sign");
  results.http_node = part("http-node.mjs", [], { optional: true });
}
if (!skip.has("exactly")) {
  step("handle() with exactly once: postgresExactlyOnce over PGlite and PostgreSQL beside the memory guard");
  results.exactly_once = part("handle-exactly-once.mjs", [], { optional: true });
}
if (!skip.has("telemetry")) {
  step("telemetry on / off: handle() on the memory guard with OpenTelemetry's SDK registered, and without");
  results.telemetry = part("telemetry.mjs", [], { optional: true });
}
if (!skip.has("rate-limit")) {
  step("rate-limited route / same route without: handle() on the memory guard, one process");
  results.rate_limit = part("rate-limit.mjs", [], { optional: true });
}
results.seconds = round((Date.now() - started) / 1000);

const { rows, targets, table } = render(results);
results.rows = rows;
results.targets = targets;
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, "results.json"), JSON.stringify(results, null, 2) + "\n");
writeFileSync(join(RESULTS, "results.md"), table);
process.stdout.write(table);
step(`done: ${join(RESULTS, "results.json")}, ${join(RESULTS, "results.md")}`);

/** The figures side by side, the targets, and the Markdown of both. */
function render(results) {
  // ---- the table -----------------------------------------------------------------
  const med = (f) => f?.median ?? null;
  const fmt = (v, digits = 3) => {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
    return String(Number(v.toPrecision(digits)));
  };
  const ratio = (a, b) => (a && b ? a / b : null);
  const rows = [];
  const row = (figure, ours, oursValue, peer, peerValue, better = "higher") =>
    rows.push({ figure, ours, oursValue, peer, peerValue, ratio: ratio(oursValue, peerValue), better });

  const ed = results.ed25519;
  const nat = results.native?.figures;
  if (ed) {
    for (const op of ["verify", "sign"]) {
      const ours = med(ed[op].ours_wasm);
      const fig = `ed25519 ${op}, ops/s`;
      row(fig, "wasm in Node", ours, "native libsodium (our core, C++)", med(nat?.[`ed25519_${op}`]));
      row(fig, "wasm in Node", ours, "libsodium-wrappers", med(ed[op].libsodium_wrappers));
      row(fig, "wasm in Node", ours, "WebCrypto, awaited one by one", med(ed[op].webcrypto_awaited));
      row(fig, "wasm in Node", ours, "WebCrypto, 64 in flight", med(ed[op].webcrypto_64_in_flight));
      row(fig, "wasm in Node", ours, "@noble/ed25519", med(ed[op].noble_ed25519));
      row(fig, "wasm, cojson API (signature_z/signer_z text)", med(ed[op].ours_wasm_cojson_api), "cojson WasmCrypto", med(ed[op].cojson_wasm_crypto));
    }
  }
  const br = results.browser;
  if (br?.sign) {
    const core = `browser core (${br.wasm.split("/").pop()})`;
    const fig = (op) => `ed25519 ${op} in headless Chromium ${br.chromium.replace(/^\D*\//, "")}, ops/s`;
    if (br.sign.ours_signer_detached) {
      row(fig("sign"), `${core}, signDetached(msg, an open Signer)`, med(br.sign.ours_signer_detached), "libsodium.js, crypto_sign_detached(msg, 64-byte key)", med(br.sign.libsodium_wrappers));
    }
    row(fig("sign"), `${core}, signDetached(msg, seed)`, med(br.sign.ours_wasm), "libsodium.js, crypto_sign_detached(msg, 64-byte key)", med(br.sign.libsodium_wrappers));
    row(fig("sign"), `${core}, signDetached(msg, seed)`, med(br.sign.ours_wasm), "libsodium.js, crypto_sign_seed_keypair + crypto_sign_detached (like for like)", med(br.sign.libsodium_wrappers_from_seed));
    row(fig("sign"), `${core}, an open Signer's signMessage (a whole request: canonical value, BLAKE3, signature)`, med(br.sign.ours_signer_message), "libsodium.js, crypto_sign_detached(msg, 64-byte key)", med(br.sign.libsodium_wrappers));
    row(fig("verify"), `${core}, verifyDetached`, med(br.verify.ours_wasm), "libsodium.js, crypto_sign_verify_detached", med(br.verify.libsodium_wrappers));
    const is = br.instantiate;
    row("cold start in headless Chromium, ms, a fresh browser context (lower is better)", `${core}: import the minified jazzrpc/browser bundle + init(fetch(wasm))`, is?.ours?.total_ms, "libsodium.js: import + await sodium.ready (wasm inlined)", is?.libsodium_wrappers?.total_ms, "lower");
  }
  const pl = results.payload;
  if (pl) {
    const kb = (pl.content_bytes / 1000).toFixed(1);
    row(`secureHash of a ${kb} KB request payload, ops/s`, "wasm, from JSON text", med(pl.hash.ours_wasm_from_text), "cojson, from the parsed value", med(pl.hash.cojson_from_value));
    row(`secureHash of a ${kb} KB request payload, ops/s`, "wasm, from JSON text", med(pl.hash.ours_wasm_from_text), "cojson, JSON.parse + secureHash", med(pl.hash.cojson_from_text));
    row(`secureHash of a ${kb} KB request payload, ops/s`, "native core", med(nat?.secure_hash), "cojson, from the parsed value", med(pl.hash.cojson_from_value));
    const bodyKb = (pl.body_bytes[0] / 1000).toFixed(1);
    const fig = `verify a ${bodyKb} KB jazz-tools request body, ops/s`;
    row(fig, "core.verifyEnvelope (text)", med(pl.envelope.ours_wasm_text), "cojson: JSON.parse + secureHash + verify", med(pl.envelope.cojson_parse_hash_verify));
    row(fig, "core.verifyEnvelope (bytes)", med(pl.envelope.ours_wasm_bytes), "cojson: JSON.parse + secureHash + verify", med(pl.envelope.cojson_parse_hash_verify));
    row(fig, "native core", med(nat?.envelope_verify), "cojson: JSON.parse + secureHash + verify", med(pl.envelope.cojson_parse_hash_verify));
    row(fig, "one bare wasm ed25519 verify (for scale)", med(pl.envelope.ours_wasm_bare_verify), "core.verifyEnvelope (text)", med(pl.envelope.ours_wasm_text));
  }
  const h = results.handle;
  const jz = h.jazz_1;
  const bestJazzBatch = jz?.batches ? Math.max(...jz.batches.map((b) => b.perSecond)) : null;
  if (h.ours_node_1 && jz) {
    row("handle(), requests/s, one at a time", `Node (${h.ours_node_1.requests} requests)`, h.ours_node_1.perSecond, `jazz-tools (${jz.requests} requests)`, jz.perSecond);
    row("handle(), requests/s, one at a time", "Node", h.ours_node_1.perSecond, "jazz-tools, its best batch of 500", bestJazzBatch);
  }
  if (h.ours_node_1 && h.ours_node_1_reject) {
    row("handle(), requests/s, one at a time: the cost of storing answers", "answers stored (duplicates: replay)", h.ours_node_1.perSecond, "not stored (duplicates: reject)", h.ours_node_1_reject.perSecond);
    row("bytes per live id in the memory guard", "with its stored answer", h.ours_node_1.guardBytes / h.ours_node_1.guardLiveIds, "without (reject)", h.ours_node_1_reject.guardBytes / h.ours_node_1_reject.guardLiveIds, "lower");
  }
  if (h.ours_node_64 && h.jazz_64) {
    row("handle(), requests/s, 64 in flight", `Node (${h.ours_node_64.requests} requests)`, h.ours_node_64.perSecond, `jazz-tools (${h.jazz_64.requests} requests)`, h.jazz_64.perSecond);
  }
  if (h.ours_workerd_1?.perSecond && jz) {
    row("handle(), requests/s, one at a time", "workerd + Durable Object guard (loopback HTTP)", h.ours_workerd_1.perSecond, "jazz-tools", jz.perSecond);
  }
  if (h.ours_workerd_64?.perSecond && h.jazz_64) {
    row("handle(), requests/s, 64 in flight", "workerd + Durable Object guard (loopback HTTP)", h.ours_workerd_64.perSecond, "jazz-tools", h.jazz_64.perSecond);
  }
  const fl = h.ours_node_1?.floor;
  if (fl) {
    row("requests/s, one at a time, in one process", "handle() (Node, MemoryReplayGuard)", fl.handlePerSecond, `the floor: one verify + one sign, libsodium-wrappers ${fl.libsodiumWrappers}`, fl.perSecond);
  }
  const jo = results.jose;
  if (jo?.jose) {
    for (const k of ["1", "64"]) {
      const label = k === "1" ? "one at a time" : `${k} in flight`;
      row(`handle(), requests/s, ${label}, in one process`, "Node, MemoryReplayGuard", jo.ours[k]?.perSecond, `jose ${jo.joseVersion}: compact JWS (EdDSA) + a Map of jti`, jo.jose[k]?.perSecond);
      row(`handle(), requests/s, ${label}, in one process`, 'Node, duplicates: "reject" (like for like)', jo.ours_reject[k]?.perSecond, `jose ${jo.joseVersion}`, jo.jose[k]?.perSecond);
    }
  }
  const rps = results.redis_procs;
  if (rps?.procs) {
    row(`handle() + RedisReplayGuard, requests/s, ${rps.inFlight} in flight per process`, "2 Node processes, one redis-server", rps.procs["2"]?.perSecond, "1 Node process", rps.procs["1"]?.perSecond);
  }
  const hn = results.http_node;
  if (hn?.["1"]) {
    for (const k of ["1", "64"]) {
      const label = k === "1" ? "one at a time" : `${k} in flight`;
      row(`node:http over 127.0.0.1, requests/s, ${label}`, "the README's server (toNodeListener + handle())", hn[k]?.ours, "bare node:http + one libsodium.js verify and sign", hn[k]?.bare);
      row(`node:http over 127.0.0.1, requests/s, ${label}`, "toNodeListener(route, handler): no Request, no Response", hn[k]?.oursRoute, "bare node:http + one libsodium.js verify and sign", hn[k]?.bare);
    }
  }
  const eo = results.exactly_once;
  if (eo?.memory) {
    row("handle(), requests/s, one at a time, in one process", "postgresExactlyOnce, PGlite in memory (claim, one UPDATE, answer: one transaction)", eo.pglite?.perSecond, "MemoryReplayGuard", eo.memory.perSecond);
    row("handle(), requests/s, one at a time, in one process", "postgresExactlyOnce, pg Pool, PostgreSQL 15 on 127.0.0.1", eo.postgres?.perSecond, "MemoryReplayGuard", eo.memory.perSecond);
  }
  const wv = results.workerd?.variants;
  if (wv) {
    const names = { empty: "an empty Worker (workerd + Miniflare + loopback HTTP)", noGuard: "the route, no Durable Object (in-isolate guard)", doGuard: "the route + the Durable Object guard", inObject: "the route inside the owning Durable Object (exactlyOnce)" };
    for (const k of ["1", "64"]) {
      const label = k === "1" ? "one at a time" : `${k} in flight`;
      for (const v of ["noGuard", "doGuard", "inObject"]) {
        if (wv[v]?.[k]?.perSecond && wv.empty?.[k]?.perSecond) row(`workerd, requests/s, ${label}`, names[v], wv[v][k].perSecond, names.empty, wv.empty[k].perSecond);
      }
    }
  }
  const rp = results.replay;
  const sz = results.sizes;
  row("size, raw bytes (lower is better)", "jazzrpc.wasm + js-glue/src/**/*.js", sz.ours_total.raw, "libsodium-wrappers (+ libsodium)", sz.libsodium_wrappers.raw, "lower");
  row("size, gzipped bytes (lower is better)", "jazzrpc.wasm + js-glue/src/**/*.js", sz.ours_total.gzip, "libsodium-wrappers (+ libsodium)", sz.libsodium_wrappers.gzip, "lower");
  if (sz.ours_client_shipped) {
    row("size shipped, gzipped bytes (lower is better)", "browser core (jazzrpc-client.wasm) + the jazzrpc/browser bundle (esbuild --minify)", sz.ours_client_shipped.gzip, "libsodium-wrappers (+ libsodium), ESM", sz.libsodium_wrappers.gzip, "lower");
    row("size shipped, raw bytes (lower is better)", "browser core (jazzrpc-client.wasm) + the jazzrpc/browser bundle (esbuild --minify)", sz.ours_client_shipped.raw, "libsodium-wrappers (+ libsodium), ESM", sz.libsodium_wrappers.raw, "lower");
  }
  if (sz.ours_shipped) {
    row("size shipped, gzipped bytes (lower is better)", "jazzrpc.wasm (server build) + the jazzrpc/browser bundle (esbuild --minify)", sz.ours_shipped.gzip, "libsodium-wrappers (+ libsodium), ESM", sz.libsodium_wrappers.gzip, "lower");
  }
  row("size, raw bytes (lower is better)", "jazzrpc.wasm + js-glue/src/**/*.js", sz.ours_total.raw, "cojson-core-wasm (.wasm + .js)", sz.cojson_core_wasm.raw, "lower");
  row("size, gzipped bytes (lower is better)", "jazzrpc.wasm + js-glue/src/**/*.js", sz.ours_total.gzip, "cojson-core-wasm (.wasm + .js)", sz.cojson_core_wasm.gzip, "lower");

  // ---- targets -------------------------------------------------------------------
  const targets = [];
  const target = (name, value, goal, met, detail) => targets.push({ name, value, goal, met: value === null ? null : met, detail });
  if (results.http_node?.["1"]) {
    for (const k of ["1", "64"]) {
      const v = results.http_node[k];
      target(`node:http, toNodeListener(route, handler) ÷ bare node:http doing one verify + one sign (${k} in flight)`, v?.ratioRoute ?? null, 0.8, v?.ratioRoute >= 0.8);
      target(`node:http, the README's toNodeListener(fetch handler) ÷ the same (${k} in flight)`, v?.ratio ?? null, 0.8, v?.ratio >= 0.8);
    }
  }
  if (h.ours_node_1 && jz) {
    const r = ratio(h.ours_node_1.perSecond, jz.perSecond);
    target("our handle() on Node ≥ 20× jazz-tools' handle() (one at a time, whole run)", r, 20, r >= 20);
    const rb = ratio(h.ours_node_1.perSecond, bestJazzBatch);
    target("the same against jazz-tools' best batch of 500 (before it degrades)", rb, 20, rb >= 20);
  }
  if (ed) {
    const v = med(ed.verify.ours_wasm);
    const r1 = ratio(v, med(ed.verify.libsodium_wrappers));
    target("wasm verify ≥ 1.0× libsodium-wrappers", r1, 1, r1 >= 1);
    const r2 = ratio(v, med(nat?.ed25519_verify));
    target("wasm verify ≥ 0.45× native libsodium", r2, 0.45, r2 >= 0.45);
  }
  if (pl) {
    const r = med(pl.envelope.ours_wasm_bare_verify) / med(pl.envelope.ours_wasm_text);
    target("a 5.4 KB envelope costs ≤ 1.5× one bare wasm verify", r, 1.5, r <= 1.5);
  }
  if (rp) {
    const c = rp.claimsPerSecond.median;
    target("replay set ≥ 2,000,000 claims/s (through the JS API)", c, 2e6, c >= 2e6);
    const d = rp.claimsPerSecondDirect.median;
    target("replay set ≥ 2,000,000 claims/s (the wasm export called directly)", d, 2e6, d >= 2e6);
    const b = rp.bytesPerLiveId.max;
    target("replay set ≤ 64 bytes per live id (worst sample once full)", b, 64, b <= 64);
    target(
      `replay set bounded: ${rp.ids.toLocaleString("en-US")} ids over ${rp.windows} windows`,
      rp.peakBytes,
      rp.bytesIfUnbounded,
      rp.peakBytes < rp.bytesIfUnbounded / 2,
      `peak ${fmt(rp.peakBytes)} bytes vs ${fmt(rp.bytesIfUnbounded)} if every id were kept`,
    );
  }
  {
    const r = ratio(sz.ours_total.raw, sz.libsodium_wrappers.raw);
    target("wasm + glue ≤ ¼ of libsodium-wrappers (raw)", r, 0.25, r <= 0.25);
    const g = ratio(sz.ours_total.gzip, sz.libsodium_wrappers.gzip);
    target("wasm + glue ≤ ¼ of libsodium-wrappers (gzipped)", g, 0.25, g <= 0.25);
  }
  if (fl) target("handle() on Node ≥ 0.7× the floor (1 / (1/verify + 1/sign), libsodium-wrappers, paired in one process)", fl.ratio, 0.7, fl.ratio >= 0.7);
  if (sz.ours_client_shipped) {
    // The browser ships the client build; the server build's figure stays a row above.
    const g = ratio(sz.ours_client_shipped.gzip, sz.libsodium_wrappers.gzip);
    target(
      "browser core (jazzrpc-client.wasm) + minified bundle ≤ 0.5× libsodium-wrappers' ESM build (gzipped)",
      g,
      0.5,
      g <= 0.5,
      sz.ours_shipped ? `jazzrpc.wasm (server build) + the same bundle: ${fmt(ratio(sz.ours_shipped.gzip, sz.libsodium_wrappers.gzip))}×, for information` : undefined,
    );
  } else if (sz.ours_shipped) {
    const g = ratio(sz.ours_shipped.gzip, sz.libsodium_wrappers.gzip);
    target("wasm + glue (minified bundle) ≤ 0.5× libsodium-wrappers' ESM build (gzipped)", g, 0.5, g <= 0.5);
  }
  if (br) {
    // A failed part (no Chromium, a page error) shows as "—" with its error, not as nothing.
    const wasm = br.wasm ? `${br.wasm.split("/").pop()} in ${br.chromium}` : br.error;
    // Both sides sign with a key expanded once: ours signDetached(msg, signer) (the part falls
    // back to signDetached(msg, seed) on a glue without it), libsodium.js its 64-byte key.
    const s = br.ratio?.sign ?? null;
    const seedDetail =
      br.ratio?.sign_seed === undefined
        ? ""
        : `; signDetached(msg, seed), which derives the key at every call: ${fmt(br.ratio.sign_seed)}×, and ${fmt(br.ratio.sign_from_seed)}× libsodium.js deriving it too`;
    target("in headless Chromium, browser core sign ≥ 1.0× libsodium.js", s, 1, s >= 1, br.ratio?.sign_method ? `${wasm}, ${br.ratio.sign_method}${seedDetail}` : wasm);
    const v = br.ratio?.verify ?? null;
    target("in headless Chromium, browser core verify ≥ 1.0× libsodium.js", v, 1, v >= 1, wasm);
  }
  if (wv?.noGuard?.["64"]?.perSecond && wv?.doGuard?.["64"]?.perSecond) {
    const r = wv.noGuard["64"].perSecond / wv.doGuard["64"].perSecond;
    target("workerd, 64 in flight: the Durable Object guard costs ≤ 1.5× the route without it (no-guard req/s ÷ guard req/s)", r, 1.5, r <= 1.5);
  }
  if (rps?.procs) {
    target(
      "2 Node processes sharing a RedisReplayGuard ≥ 1.7× one",
      rps.ratio,
      1.7,
      rps.ratio >= 1.7,
      rps.contended ? `other jobs used ${fmt(rps.procs["2"]?.otherCores?.median ?? null)} cores meanwhile` : undefined,
    );
    target("RedisReplayGuard shared: a body handled by one process is replayed by the other (1 = yes)", rps.sharing?.ok ? 1 : 0, 1, Boolean(rps.sharing?.ok));
  }
  if (jo?.ratio) {
    for (const k of ["1", "64"]) {
      const r = jo.ratio.ours_over_jose?.[k];
      if (r !== undefined) target(`our handle() ≥ 1.0× jose's (${k === "1" ? "one at a time" : `${k} in flight`})`, r, 1, r >= 1);
    }
  }
  if (h.ours_node_1) {
    const r = h.ours_node_1.lastToFirstSlice;
    target("ours stays flat: last 2,000-request slice / first (one at a time)", r, 0.9, r >= 0.9);
  }
  if (results.telemetry?.ratio) {
    const r = results.telemetry.ratio;
    const steps = results.telemetry.stepsRatio;
    target("telemetry on ÷ off: handle()'s time per request on the memory guard, one process (paired chunks, the default: one span a request)", r, 1.05, r <= 1.05, steps ? `with instrument(api, { steps: true }), a span per step: ${steps}, for information` : undefined);
  }
  if (results.rate_limit?.ratio) {
    const r = results.rate_limit.ratio;
    target("rate-limited route ÷ the same route without: handle()'s time per request on the memory guard, one process (paired chunks)", r, 1.05, r <= 1.05);
  }

  // ---- Markdown --------------------------------------------------------------------
  const md = [];
  const { machine } = results;
    md.push(`jazzrpc bench${machine.quick ? " (QUICK)" : ""}, ${machine.date.slice(0, 10)}: ${machine.nproc} × ${machine.cpu}, Node ${machine.node}, ${results.seconds} s`);
  md.push("");
  md.push("| figure | ours | value | peer | value | ours / peer |");
  md.push("|---|---|---:|---|---:|---:|");
  for (const r of rows) {
    md.push(`| ${r.figure} | ${r.ours} | ${fmt(r.oursValue)} | ${r.peer} | ${fmt(r.peerValue)} | ${fmt(r.ratio)}× |`);
  }
  md.push("");
  md.push("| handle() | requests | in flight | req/s | per 2,000-request slice | p50 ms | p99 ms | heap start → end (MB) |");
  md.push("|---|---:|---:|---:|---|---:|---:|---|");
  const handleNames = {
    ours_node_1: "ours, Node",
    ours_node_64: "ours, Node",
    jazz_1: "jazz-tools 0.20.19",
    jazz_64: "jazz-tools 0.20.19",
    ours_workerd_1: "ours, workerd (Miniflare) + DO guard",
    ours_workerd_64: "ours, workerd (Miniflare) + DO guard",
  };
  const mb = (b) => (b / 1e6).toFixed(1);
  for (const [key, r] of Object.entries(h)) {
    if (!r || r.error) {
      md.push(`| ${handleNames[key] ?? key} | — | — | — | ${r?.error ?? "not run"} | — | — | — |`);
      continue;
    }
    md.push(
      `| ${handleNames[key] ?? key} | ${fmt(r.requests)} | ${r.inFlight} | ${fmt(r.perSecond)} | ${r.slices.map((s) => fmt(s.perSecond)).join(", ")} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${mb(r.heapStart)} → ${mb(r.heapEnd)} |`,
    );
  }
  for (const key of ["jazz_1", "jazz_64"]) {
    const r = h[key];
    if (r?.batches) md.push(`\njazz-tools, ${r.inFlight === 1 ? "one at a time" : `${r.inFlight} in flight`}, req/s per batch of 500: ${r.batches.map((b) => fmt(b.perSecond)).join(", ")}`);
  }
  if (rp) {
    md.push("");
    md.push("| replay set (wasm) | value |");
    md.push("|---|---:|");
    md.push(`| claims/s, JS API (core.createReplaySet().claim) | ${fmt(rp.claimsPerSecond.median)} |`);
    md.push(`| claims/s, wasm export called directly | ${fmt(rp.claimsPerSecondDirect.median)} |`);
    md.push(`| claims/s, native core | ${fmt(results.native?.replay?.claims_per_second)} |`);
    md.push(`| replays refused/s, JS API | ${fmt(rp.replayRefusedPerSecond.median)} |`);
    md.push(`| bytes per live id (median / worst, once full) | ${fmt(rp.bytesPerLiveId.median)} / ${fmt(rp.bytesPerLiveId.max)} |`);
    md.push(`| after ${fmt(rp.ids)} ids over ${rp.windows} windows: live ids, bytes (peak) | ${fmt(rp.liveAtEnd)}, ${fmt(rp.bytesAtEnd)} (${fmt(rp.peakBytes)}) |`);
  }
  md.push("");
  md.push("| size | raw | gzip -9 |");
  md.push("|---|---:|---:|");
  for (const [name, s] of Object.entries(sz)) md.push(`| ${name} | ${fmt(s.raw)} | ${fmt(s.gzip)} |`);
  md.push("");
  md.push("| target | measured | goal | |");
  md.push("|---|---:|---:|---|");
  for (const t of targets) md.push(`| ${t.name}${t.detail ? ` (${t.detail})` : ""} | ${fmt(t.value)} | ${fmt(t.goal)} | ${t.met === null ? "—" : t.met ? "met" : "**missed**"} |`);
  return { rows, targets, table: md.join("\n") + "\n" };
}
