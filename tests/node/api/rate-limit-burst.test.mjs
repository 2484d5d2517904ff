// Issue 19.2 on Node: ten signers send 1,000 requests in a burst to two Node processes
// sharing one redis-server (started here on 127.0.0.1): each signer gets exactly its
// limit of 200s per window, the rest 429 ERR_RATE_LIMITED with a Retry-After after which
// the same body succeeds; one signer's burst does not slow another's answers (a ratio).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { Account, defineRequest } from "../../../js-glue/src/entries/node.js";
import { startRedis } from "./redis-server.mjs";
import { burstScenario } from "./rate-limit-scenarios.mjs";

const REQUESTS = 30;
const PER_MS = 10_000;
const worker = Account.create();
let redis;
const servers = [];
function startServer() {
  const child = spawn(process.execPath, [new URL("./rate-limit-server.mjs", import.meta.url).pathname], {
    env: { ...process.env, WORKER_SECRET: worker.secret, REDIS_URL: redis.url, RATE_REQUESTS: String(REQUESTS), RATE_PER_MS: String(PER_MS), PREFIX: "burst:" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (line) => resolve({ child, url: `http://127.0.0.1:${Number(line)}` }));
    child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
  });
}
before(async () => {
  redis = await startRedis();
  servers.push(...(await Promise.all([startServer(), startServer()])));
  // No warm-up request: the burst meets each process cold, while its first requests load
  // @opentelemetry/api (bodies read after that await were read as empty before
  // adapters/node-body.js stopped trusting req.complete).
});
after(async () => {
  for (const { child } of servers) {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  }
  await redis?.stop();
});

test("ten signers, 1,000 requests at once over two Node processes and one Redis: exactly the limit each, Retry-After honoured succeeds, a quiet signer not slowed", async () => {
  const route = defineRequest({ url: "/api/rated", workerId: worker.id, request: { n: z.number(), tag: z.string() }, response: { n: z.number() } });
  const post = (i, body) => fetch(`${servers[i % 2].url}/api/rated`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  const runs = async () => {
    let total = 0;
    for (const { url } of servers) total += Number(await (await fetch(`${url}/runs`)).text());
    return total;
  };
  const figures = await burstScenario({ route, post, runs, makeOwner: () => Account.create(), requests: REQUESTS, perMs: PER_MS });
  console.log(`# node+redis: burst ${figures.took} ms, waited ${figures.wait} s; quiet signer alone ${figures.aloneMs.toFixed(1)} ms, during a burst ${figures.duringMs.toFixed(1)} ms: ratio ${figures.ratio.toFixed(2)}`);
  assert.ok(figures.ratio < 15, `a quiet signer's median latency during another's burst is ${figures.ratio.toFixed(2)}x its median alone`);
});
