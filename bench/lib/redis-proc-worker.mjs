// One worker process of bench/parts/handle-redis-procs.mjs: our handle() on Node
// with a RedisReplayGuard on the shared redis-server, driven over the IPC channel.
// Every worker serves the same worker account (WORKER_SECRET) through its own
// connection (REDIS_URL); each signs its own request bodies with its own client
// account, untimed, before a repetition, then waits for the common start time and
// handles them in process, IN_FLIGHT at a time.
//
// Messages from the parent: { type: "warm", requests } | { type: "sign", requests }
// | { type: "go", at } (epoch ms) | { type: "make" } (one body, not handled)
// | { type: "one", body? } (one body handled here) | { type: "quit" }.
// Each is answered with { type: <same>, ... } once done.
import { createClient } from "redis";
import { glue, handler, oursFor } from "./ours.mjs";

if (!process.send) throw new Error("redis-proc-worker.mjs runs as a child process with an IPC channel");

const URL_ = "http://bench.invalid/api/book-event-ticket";
const INDEX = Number(process.env.WORKER_INDEX ?? 0);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 16);

const worker = glue.Account.fromSecret(process.env.WORKER_SECRET);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
worker.replayGuard = new glue.RedisReplayGuard({ client: redis });
const { route, makeBodies: sign } = oursFor(URL_, worker.id);

let made = 0;
// event ids distinct across workers (the request ids are random anyway)
const makeBodies = async (count) => {
  const bodies = await sign(count, INDEX * 1e9 + made);
  made += count;
  return bodies;
};
const handle = (body) =>
  route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);

/** Epoch milliseconds, sub-millisecond, comparable across processes of one machine. */
const epochMs = () => performance.timeOrigin + performance.now();

/** Handles every body with IN_FLIGHT outstanding; counts what was not a fresh 200. */
async function handleAll(bodies) {
  let next = 0;
  let failures = 0;
  let replayed = 0;
  let firstFailure = null;
  const lane = async () => {
    while (next < bodies.length) {
      const res = await handle(bodies[next++]);
      const text = await res.text();
      if (res.status !== 200) {
        failures++;
        firstFailure ??= `${res.status} ${text.slice(0, 200)}`;
      } else if (res.headers.get("X-Jazz-Replayed") === "true") replayed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, bodies.length) }, lane));
  return { failures, replayed, firstFailure };
}

let bodies = [];
process.on("message", async (msg) => {
  try {
    if (msg.type === "warm") {
      const r = await handleAll(await makeBodies(msg.requests));
      process.send({ type: "warm", ...r });
    } else if (msg.type === "sign") {
      const t = performance.now();
      bodies = await makeBodies(msg.requests);
      process.send({ type: "sign", count: bodies.length, seconds: (performance.now() - t) / 1000 });
    } else if (msg.type === "go") {
      // sleep to just before the common start, then spin to it
      const wait = msg.at - epochMs() - 3;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (epochMs() < msg.at);
      const startedAt = epochMs();
      const cpu0 = process.cpuUsage();
      const r = await handleAll(bodies);
      const finishedAt = epochMs();
      const cpu = process.cpuUsage(cpu0);
      process.send({
        type: "go",
        requests: bodies.length,
        startedAt,
        finishedAt,
        lateMs: startedAt - msg.at,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        ...r,
      });
      bodies = [];
    } else if (msg.type === "make") {
      process.send({ type: "make", body: (await makeBodies(1))[0] });
    } else if (msg.type === "one") {
      // one body (made here unless given), handled here: for the sharing check
      const body = msg.body ?? (await makeBodies(1))[0];
      const res = await handle(body);
      process.send({ type: "one", body, status: res.status, replayed: res.headers.get("X-Jazz-Replayed") === "true", text: await res.text() });
    } else if (msg.type === "quit") {
      await redis.quit();
      process.exit(0);
    }
  } catch (error) {
    process.send({ type: "error", message: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => process.exit(0)); // the parent is gone
process.send({ type: "ready", pid: process.pid });
