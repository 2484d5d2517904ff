// Our handle() on Node, in process: the documentation's route with plain (zod)
// schemas, a MemoryReplayGuard, bodies pre-signed by our send() (its fetch
// intercepted), then handled through route.handle(new Request(...)).
// One at a time, the same process then measures the floor: what a request costs at
// least, one ed25519 verify plus one sign (libsodium-wrappers, its 64-byte secret
// key), in chunks interleaved with chunks of handle(), so that both see the same
// machine; floor.ratio is the median of the paired ratios handle() / floor.
//   node --expose-gc parts/handle-ours.mjs REQUESTS IN_FLIGHT [replay|reject]
// replay (the default) stores each request's answer for its duplicates; reject does not.
import sodium from "libsodium-wrappers";
import { emit, log, median, QUICK, round } from "../lib/measure.mjs";
import { runLoad } from "../lib/load.mjs";
import { glue, handler, oursFor } from "../lib/ours.mjs";

const requests = Number(process.argv[2] ?? (QUICK ? 4000 : 20000));
const inFlight = Number(process.argv[3] ?? 1);
const duplicates = process.argv[4] ?? "replay";
const URL_ = "http://bench.invalid/api/book-event-ticket";

const worker = glue.Account.create();
worker.replayGuard = new glue.MemoryReplayGuard();
const { route, makeBodies } = oursFor(URL_, worker.id, { duplicates });
const handle = (body) =>
  route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

// warm-up on a separate guard's worth of requests (not counted)
log(`ours: warm-up`);
await runLoad({ requests: 500, slice: 500, batch: 500, inFlight, makeBodies, handle });
log(`ours: ${requests} requests, ${inFlight} in flight`);
const result = await runLoad({ requests, slice: 2000, batch: 2000, inFlight, makeBodies, handle });
result.bodyBytes = Buffer.byteLength((await makeBodies(1, requests))[0]);
result.guardLiveIds = worker.replayGuard.size;
result.duplicates = duplicates;
result.guardBytes = worker.replayGuard.bytes;
if (inFlight === 1) result.floor = await floorRatio();
result.answerBytesPerId = worker.replayGuard.answerBytes / Math.max(1, worker.replayGuard.size);
emit(result);
process.exit(0);

async function floorRatio() {
  await sodium.ready;
  const keys = sodium.crypto_sign_keypair();
  const message = new TextEncoder().encode(JSON.stringify(glue.core.secureHash('{"bench":true}'))); // what an envelope signs
  const signature = sodium.crypto_sign_detached(message, keys.privateKey);
  const CHUNK = 200;
  const reps = QUICK ? 9 : 25;
  log(`ours: floor, ${reps} pairs of ${CHUNK} handle() and ${CHUNK} verify+sign`);
  const floorChunk = () => {
    const t = performance.now();
    for (let i = 0; i < CHUNK; i++) {
      if (!sodium.crypto_sign_verify_detached(signature, message, keys.publicKey)) throw new Error("verify failed");
      sodium.crypto_sign_detached(message, keys.privateKey);
    }
    return CHUNK / ((performance.now() - t) / 1000);
  };
  let from = 10_000_000;
  const handleChunk = async () => {
    const bodies = await makeBodies(CHUNK, from);
    from += CHUNK;
    const t = performance.now();
    for (const body of bodies) {
      const res = await handle(body);
      if (res.status !== 200) throw new Error(`handle() answered ${res.status}: ${await res.text()}`);
      await res.text();
    }
    return CHUNK / ((performance.now() - t) / 1000);
  };
  floorChunk();
  await handleChunk();
  const handled = [];
  const floor = [];
  const ratios = [];
  for (let r = 0; r < reps; r++) {
    const h = await handleChunk();
    const f = floorChunk();
    handled.push(h);
    floor.push(f);
    ratios.push(h / f);
  }
  return { perSecond: round(median(floor)), handlePerSecond: round(median(handled)), ratio: round(median(ratios)), chunk: CHUNK, reps, libsodiumWrappers: "0.8.4" };
}
