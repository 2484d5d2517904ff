// A peer users would pick instead for plain signed requests on Node: jose's compact
// JWS with Ed25519 (EdDSA), against our handle(), in one process.
//
//   node --expose-gc parts/handle-jose.mjs [REQUESTS] [REPS]
//
// jose's side (npm jose, pinned in bench/package.json): the client signs the request
// body as a compact JWS, payload the JSON of { eventId, jti (random), iat, exp }
// with exp = iat + 60 s, with its Ed25519 key (node:crypto KeyObjects). The server
// route reads the Request's body text, compactVerify()s it with the client's public
// key (alg EdDSA only), checks the window (iat not in the future, exp not passed,
// exp - iat <= 60 s), refuses a jti already seen (an in-memory Map in two 60 s
// generations, O(1) to forget), validates { eventId } with the same zod schema as
// ours, runs the same handler, validates its answer, and answers 200 with a compact
// JWS signed by the server's Ed25519 key whose payload is the answer, the jti and
// iat: one verify and one sign per request, like ours. A refusal is a 401 JSON
// body. Like ours in "reject" mode, a duplicate is refused, not answered again.
//
// Ours: as bench/parts/handle-ours.mjs (the documentation's route with zod schemas,
// a MemoryReplayGuard, bodies from our send()), in "replay" mode (the default, each
// answer stored for its duplicates) and in "reject" mode (the like-for-like).
//
// Each is measured as handle-ours.mjs measures ours: runLoad, REQUESTS requests
// (20,000; QUICK 4,000), signed untimed in batches of 2,000, handled one at a time
// and with 64 in flight through route(new Request(...)) plus reading the response.
// The implementations run interleaved (round-robin) for REPS repetitions (3), each
// on a fresh guard after one warm-up; the median repetition is reported. Before
// timing, correctness is checked once: a tampered JWS, a replayed jti, an expired
// or future-dated body and a body signed by another key are refused, and the client
// verifies the server's answer. CPU time of the process over the handled part
// (cores = CPU seconds / handled seconds) shows what runs off the main thread:
// Node's WebCrypto signs and verifies on libuv's thread pool.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { CompactSign, compactVerify } from "jose";
import { z } from "zod";
import { emit, log, median, QUICK, round } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";
import { glue, handler, oursFor } from "../lib/ours.mjs";

const requests = Number(process.argv[2] ?? (QUICK ? 4000 : 20000));
const reps = Number(process.argv[3] ?? 3);
const URL_ = "http://bench.invalid/api/book-event-ticket";
const WINDOW_S = 60;
const started = Date.now();

// ---- jose: the client and the server route -------------------------------------------
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const requestSchema = z.object({ eventId: z.string() });
const responseSchema = z.object({ ticketId: z.string() });

const clientKeys = generateKeyPairSync("ed25519");
const serverKeys = generateKeyPairSync("ed25519");

/** A client's signed request body: a compact JWS of { eventId, jti, iat, exp }. */
async function joseSign(eventId, { key = clientKeys.privateKey, iat = Math.floor(Date.now() / 1000), exp = iat + WINDOW_S, jti } = {}) {
  const claims = { eventId, jti: jti ?? randomBytes(16).toString("base64url"), iat, exp };
  return new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader({ alg: "EdDSA" }).sign(key);
}

/** Seen jti values, in two generations of WINDOW_S: an entry lives at least WINDOW_S. */
class JtiGuard {
  #current = new Map();
  #previous = new Map();
  #rotateAt = Date.now() + WINDOW_S * 1000;
  /** True for the first claim of jti. */
  claim(jti, exp) {
    const now = Date.now();
    if (now >= this.#rotateAt) {
      this.#previous = this.#current;
      this.#current = new Map();
      this.#rotateAt = now + WINDOW_S * 1000;
    }
    if (this.#current.has(jti) || this.#previous.has(jti)) return false;
    this.#current.set(jti, exp);
    return true;
  }
  get size() {
    return this.#current.size + this.#previous.size;
  }
}

const JSON_HEADERS = { "Content-Type": "application/json" };
const refuse = (status, message) => new Response(JSON.stringify({ message, code: status }), { status, headers: JSON_HEADERS });

/** The server route: verify, window, jti, schema, handler, signed answer. */
function joseRoute(guard) {
  return async (request) => {
    if (request.method !== "POST") return refuse(405, "method not allowed");
    const jws = await request.text();
    let claims;
    try {
      const { payload } = await compactVerify(jws, clientKeys.publicKey, { algorithms: ["EdDSA"] });
      claims = JSON.parse(decoder.decode(payload));
    } catch {
      return refuse(401, "invalid signature");
    }
    const now = Math.floor(Date.now() / 1000);
    const { jti, iat, exp } = claims ?? {};
    if (typeof jti !== "string" || jti.length === 0 || jti.length > 64 || !Number.isInteger(iat) || !Number.isInteger(exp)) {
      return refuse(401, "invalid claims");
    }
    if (iat > now + 1 || exp < now || exp - iat > WINDOW_S) return refuse(401, "expired or future-dated");
    const parsed = requestSchema.safeParse({ eventId: claims.eventId });
    if (!parsed.success) return refuse(400, "invalid request");
    if (!guard.claim(jti, exp)) return refuse(401, "replayed");
    let result;
    try {
      result = responseSchema.parse(await handler(parsed.data));
    } catch {
      return refuse(500, "Internal server error");
    }
    const answer = await new CompactSign(encoder.encode(JSON.stringify({ ...result, jti, iat: now })))
      .setProtectedHeader({ alg: "EdDSA" })
      .sign(serverKeys.privateKey);
    return new Response(answer, { status: 200, headers: { "Content-Type": "application/jose" } });
  };
}

const joseMakeBodies = async (count, from) => {
  const bodies = new Array(count);
  for (let i = 0; i < count; i++) bodies[i] = await joseSign(`event-${from + i}`);
  return bodies;
};
const joseRequest = (body) => new Request(URL_, { method: "POST", headers: { "Content-Type": "application/jose" }, body });

// ---- correctness, once, before timing -------------------------------------------------
{
  const route = joseRoute(new JtiGuard());
  const must = (ok, what) => {
    if (!ok) throw new Error(`jose correctness: ${what}`);
  };
  const body = await joseSign("event-check");
  const res = await route(joseRequest(body));
  const text = await res.text();
  must(res.status === 200, `a good body is answered 200 (got ${res.status} ${text})`);
  const { payload } = await compactVerify(text, serverKeys.publicKey, { algorithms: ["EdDSA"] });
  const answer = JSON.parse(decoder.decode(payload));
  must(answer.ticketId === "ticket-event-check", "the client verifies the server's answer and reads its ticket");
  must(answer.jti === JSON.parse(Buffer.from(body.split(".")[1], "base64url")).jti, "the answer names the request's jti");
  must((await route(joseRequest(body))).status === 401, "a replayed jti is refused");
  const [h, p, s] = (await joseSign("event-tamper")).split(".");
  const tamperedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url")), eventId: "event-other" })).toString("base64url");
  must((await route(joseRequest(`${h}.${tamperedPayload}.${s}`))).status === 401, "a tampered payload is refused");
  const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
  must((await route(joseRequest(`${h}.${p}.${flipped}`))).status === 401, "a tampered signature is refused");
  must((await route(joseRequest(`${h}.${p}.${s}`))).status === 200, "the untampered original then passes");
  const old = Math.floor(Date.now() / 1000) - 120;
  must((await route(joseRequest(await joseSign("e", { iat: old, exp: old + 60 })))).status === 401, "an expired body is refused");
  const future = Math.floor(Date.now() / 1000) + 30;
  must((await route(joseRequest(await joseSign("e", { iat: future, exp: future + 30 })))).status === 401, "a future-dated body is refused");
  must((await route(joseRequest(await joseSign("e", { iat: old + 100, exp: old + 300 })))).status === 401, "a window over 60 s is refused");
  must((await route(joseRequest(await joseSign("e", { key: serverKeys.privateKey })))).status === 401, "a body signed by another key is refused");
  const hs = await new CompactSign(encoder.encode("{}")).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
  must((await route(joseRequest(hs))).status === 401, "another algorithm is refused");
  log("jose: correctness checks passed");
}

// ---- the implementations ---------------------------------------------------------------
/** makeBodies wrapped to count the CPU time spent signing (taken out of the handled part). */
function cpuCounted(makeBodies) {
  const counted = async (count, from) => {
    const c = process.cpuUsage();
    const bodies = await makeBodies(count, from);
    const d = process.cpuUsage(c);
    counted.cpuSeconds += (d.user + d.system) / 1e6;
    return bodies;
  };
  counted.cpuSeconds = 0;
  return counted;
}

const impls = {
  jose: () => {
    const guard = new JtiGuard();
    const route = joseRoute(guard);
    return { makeBodies: joseMakeBodies, handle: (body) => route(joseRequest(body)), guard };
  },
  ...Object.fromEntries(
    ["replay", "reject"].map((duplicates) => [
      duplicates === "replay" ? "ours" : "ours_reject",
      () => {
        const worker = glue.Account.create();
        worker.replayGuard = new glue.MemoryReplayGuard();
        const { route, makeBodies } = oursFor(URL_, worker.id, { duplicates });
        const handle = (body) =>
          route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);
        return { makeBodies, handle, guard: worker.replayGuard };
      },
    ]),
  ),
};

async function measure(name, inFlight, count) {
  const impl = impls[name]();
  const makeBodies = cpuCounted(impl.makeBodies);
  const c = process.cpuUsage();
  const result = await runLoad({ requests: count, slice: 2000, batch: 2000, inFlight, makeBodies, handle: impl.handle });
  const d = process.cpuUsage(c);
  const handledSeconds = count / result.perSecond;
  const cpuSeconds = (d.user + d.system) / 1e6 - makeBodies.cpuSeconds;
  result.cores = round(cpuSeconds / handledSeconds, 3);
  // requests per CPU-second of this process: steadier than req/s when other jobs share the cores
  result.perCpuSecond = round(count / cpuSeconds);
  result.guardLiveIds = impl.guard.size;
  return result;
}

const names = Object.keys(impls);
const modes = [1, 64];
log(`warm-up: 1,000 requests of each, at 1 and 64 in flight`);
for (const inFlight of modes) for (const name of names) await measure(name, inFlight, 1000);

const runs = Object.fromEntries(names.map((n) => [n, { 1: [], 64: [] }]));
for (let r = 0; r < reps; r++) {
  for (const inFlight of modes) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      const result = await measure(name, inFlight, requests);
      if (result.failures) throw new Error(`${name}: ${result.failures} failures, first: ${result.firstFailure}`);
      runs[name][inFlight].push(result);
      log(`rep ${r + 1}/${reps}, ${inFlight} in flight, ${name}: ${result.perSecond} req/s, p50 ${result.p50Ms} ms, ${result.cores} cores, ${result.perCpuSecond} per CPU-second`);
    }
  }
}

/** The median repetition's runLoad result, with every repetition's req/s as samples. */
function pick(list) {
  const sorted = [...list].sort((a, b) => a.perSecond - b.perSecond);
  const mid = sorted[(sorted.length - 1) >> 1];
  return {
    ...mid,
    perSecond: round(median(list.map((x) => x.perSecond))),
    samples: list.map((x) => x.perSecond),
    perCpuSecond: round(median(list.map((x) => x.perCpuSecond))),
    perCpuSecondSamples: list.map((x) => x.perCpuSecond),
  };
}
const out = {};
for (const name of names) out[name] = { 1: pick(runs[name][1]), 64: pick(runs[name][64]) };
// ratios within each repetition (the implementations ran back to back), then their median
const paired = (a, b, inFlight) => round(median(runs[a][inFlight].map((x, i) => x.perSecond / runs[b][inFlight][i].perSecond)));
out.ratio = {
  ours_over_jose: { 1: round(out.ours[1].perSecond / out.jose[1].perSecond), 64: round(out.ours[64].perSecond / out.jose[64].perSecond) },
  ours_reject_over_jose: { 1: round(out.ours_reject[1].perSecond / out.jose[1].perSecond), 64: round(out.ours_reject[64].perSecond / out.jose[64].perSecond) },
  ours_over_jose_paired: { 1: paired("ours", "jose", 1), 64: paired("ours", "jose", 64) },
  ours_reject_over_jose_paired: { 1: paired("ours_reject", "jose", 1), 64: paired("ours_reject", "jose", 64) },
  ours_over_jose_per_cpu_second: { 1: round(out.ours[1].perCpuSecond / out.jose[1].perCpuSecond), 64: round(out.ours[64].perCpuSecond / out.jose[64].perCpuSecond) },
};
out.bodyBytes = {
  jose: Buffer.byteLength((await joseMakeBodies(1, 0))[0]),
  ours: Buffer.byteLength((await impls.ours().makeBodies(1, 0))[0]),
};
out.joseVersion = JSON.parse(readFileSync(new URL("../node_modules/jose/package.json", import.meta.url), "utf8")).version;
out.requests = requests;
out.reps = reps;
out.seconds = round((Date.now() - started) / 1000);
emit(out);
process.exit(0);
