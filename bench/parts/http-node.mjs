// node:http, measured from outside (issue 18.1): the README's server (toNodeListener +
// handle()), and toNodeListener(route, handler) (no Request, no Response), each against
// a bare node:http server that does one libsodium.js verify and one sign
// per request, each in its own process on 127.0.0.1, loaded by this process over HTTP
// (keep-alive) with the same pre-signed bodies, one at a time and 64 in flight. Chunks
// of the three alternate; the figures are medians, and ratio = ours / bare.
//   node --expose-gc parts/http-node.mjs
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { emit, log, median, QUICK, round } from "../lib/measure.mjs";
import { glue, oursFor } from "../lib/ours.mjs";

const CHUNK = QUICK ? 300 : 1500;
const REPS = QUICK ? 3 : 7;
const worker = glue.Account.create();
const { makeBodies } = oursFor("http://127.0.0.1/api/book-event-ticket", worker.id);

function start(kind) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../lib/http-server.mjs", import.meta.url))], {
    env: { ...process.env, KIND: kind, WORKER_SECRET: worker.secret },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve) => createInterface({ input: child.stdout }).once("line", (port) => resolve({ child, url: `http://127.0.0.1:${port}/api/book-event-ticket` })));
}

const servers = { ours: await start("ours"), oursRoute: await start("ours-route"), bare: await start("bare") };
let from = 0;
async function chunkRate(server, inFlight) {
  const bodies = await makeBodies(CHUNK, (from += CHUNK));
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const response = await fetch(server.url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`${response.status} ${text.slice(0, 200)}`);
      }
    }),
  );
  return CHUNK / ((performance.now() - t) / 1000);
}

const result = {};
for (const inFlight of [1, 64]) {
  log(`http: warm-up, ${inFlight} in flight`);
  for (const s of Object.values(servers)) await chunkRate(s, inFlight);
  const rates = { ours: [], oursRoute: [], bare: [], ratio: [], ratioRoute: [] };
  for (let r = 0; r < REPS; r++) {
    const ours = await chunkRate(servers.ours, inFlight);
    const oursRoute = await chunkRate(servers.oursRoute, inFlight);
    const bare = await chunkRate(servers.bare, inFlight);
    rates.ours.push(ours);
    rates.oursRoute.push(oursRoute);
    rates.bare.push(bare);
    rates.ratio.push(ours / bare);
    rates.ratioRoute.push(oursRoute / bare);
  }
  result[inFlight] = {
    ours: round(median(rates.ours)),
    oursRoute: round(median(rates.oursRoute)),
    bare: round(median(rates.bare)),
    ratio: round(median(rates.ratio)),
    ratioRoute: round(median(rates.ratioRoute)),
  };
  log(`http, ${inFlight} in flight: ${JSON.stringify(result[inFlight])}`);
}
for (const s of Object.values(servers)) s.child.kill();
emit(result);
process.exit(0);
