// The wasm replay set through its JS API (core.createReplaySet): claims/s of
// distinct ids, bytes per live id, and memory while 1,000,000 distinct ids (QUICK:
// 200,000) arrive evenly over three 60 s windows of simulated time.
import { compare, emit, log, memory, QUICK, ROOT, round } from "../lib/measure.mjs";

const { core } = await import(ROOT + "js-glue/src/entries/node.js");
const total = QUICK ? 200_000 : 1_000_000;
const WINDOW = 60_000;
const SPAN = 3 * WINDOW; // the ids arrive over three windows
const T0 = 1.7e12;

// co_z ids as jazz-tools makes them: "co_z" + base58 of 19 bytes
log(`replay: making ${total} ids`);
const ids = new Array(total);
const bytes = new Uint8Array(19);
for (let i = 0; i < total; i++) {
  crypto.getRandomValues(bytes);
  ids[i] = "co_z" + core.base58Encode(bytes);
}

// claims/s: each repetition claims every id once in a fresh set, the clock
// advancing so that the ids span three windows
const run = () => {
  const set = core.createReplaySet();
  const t = performance.now();
  for (let i = 0; i < total; i++) {
    const now = T0 + (i * SPAN) / total;
    if (!set.claim(ids[i], now + WINDOW, now)) throw new Error("a distinct id was refused");
  }
  const seconds = (performance.now() - t) / 1000;
  set.free();
  return total / seconds;
};
log(`replay: claims/s over ${total} distinct ids`);
const reps = QUICK ? 3 : 5;
const claimRates = [];
run(); // warm-up
for (let r = 0; r < reps; r++) claimRates.push(run());
claimRates.sort((a, b) => a - b);

// The same claims with the glue left out: the module's export called directly on ids
// already copied into its memory (what the core costs, apart from JS string handling).
const direct = await (async () => {
  const { readFileSync } = await import("node:fs");
  const module = new WebAssembly.Module(readFileSync(ROOT + "js-glue/dist/jazzrpc.wasm"));
  let memoryRef = null;
  const imports = {};
  for (const { module: ns, name } of WebAssembly.Module.imports(module)) {
    (imports[ns] ??= {})[name] =
      name === "random_get"
        ? (ptr, len) => (crypto.getRandomValues(new Uint8Array(memoryRef.buffer, ptr >>> 0, len)), 0)
        : () => 52;
  }
  const { exports: x } = new WebAssembly.Instance(module, imports);
  memoryRef = x.memory;
  x._initialize?.();
  if (x.jazzrpc_init() < 0) throw new Error("jazzrpc_init failed");
  const encoded = ids.map((id) => new TextEncoder().encode(id));
  const width = encoded.reduce((m, e) => Math.max(m, e.length), 0);
  const base = x.jazzrpc_alloc(width * total) >>> 0;
  encoded.forEach((e, i) => new Uint8Array(x.memory.buffer, base + i * width, e.length).set(e));
  const lens = Int32Array.from(encoded, (e) => e.length);
  const once = () => {
    const handle = x.jazzrpc_replay_create();
    const t = performance.now();
    for (let i = 0; i < total; i++) {
      const now = T0 + (i * SPAN) / total;
      if (x.jazzrpc_replay_claim(handle, base + i * width, lens[i], now + WINDOW, now) !== 1) throw new Error("refused");
    }
    const seconds = (performance.now() - t) / 1000;
    x.jazzrpc_replay_destroy(handle);
    return total / seconds;
  };
  once();
  const rates = [];
  for (let r = 0; r < reps; r++) rates.push(once());
  return rates.sort((a, b) => a - b);
})();

// replays are refused: claim the same id again while live
const replaySet = core.createReplaySet();
replaySet.claim(ids[0], T0 + WINDOW, T0);
const refused = await compare(
  { replay_refused: { fn: (i) => replaySet.claim(ids[0], T0 + WINDOW, T0 + (i % 1000)) === false } },
  { reps: 3 },
);
replaySet.free();

// memory: bytes held and live ids while the ids arrive, sampled ten times a window
log("replay: memory over three windows");
const set = core.createReplaySet();
const heapBefore = memory();
const samples = [];
let peakBytes = 0;
const every = Math.floor(total / 30);
for (let i = 0; i < total; i++) {
  const now = T0 + (i * SPAN) / total;
  set.claim(ids[i], now + WINDOW, now);
  if ((i + 1) % every === 0) {
    const b = set.bytes;
    peakBytes = Math.max(peakBytes, b);
    samples.push({ ids: i + 1, simulatedSeconds: round((now - T0) / 1000), live: set.count, bytes: b });
  }
}
const end = samples.at(-1);
const heapAfter = memory();
// Per live id in steady state: the samples after the first window (the set is full).
const steady = samples.filter((s) => s.simulatedSeconds > WINDOW / 1000);
const perId = steady.map((s) => s.bytes / s.live).sort((a, b) => a - b);
emit({
  ids: total,
  windows: 3,
  claimsPerSecond: { median: claimRates[Math.floor(reps / 2)], samples: claimRates.map((v) => round(v)) },
  claimsPerSecondDirect: { median: direct[Math.floor(reps / 2)], samples: direct.map((v) => round(v)) },
  replayRefusedPerSecond: refused.replay_refused,
  bytesPerLiveId: { median: round(perId[Math.floor(perId.length / 2)]), max: round(perId.at(-1)) },
  liveAtEnd: end.live,
  bytesAtEnd: end.bytes,
  peakBytes,
  bytesIfUnbounded: round((end.bytes / end.live) * total),
  rssGrowth: heapAfter.rss - heapBefore.rss,
  samples,
});
process.exit(0);
