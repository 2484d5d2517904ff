// One server process of the kill test (kill.test.mjs): node:http + toNodeListener +
// route.handle() with a RedisReplayGuard over the test's redis-server. The handler
// books a ticket; its side effect (INCR of the event's bookings counter) lives in
// Redis, outside this process, and so does a count of the handler's runs.
//
// KILL_AT makes the process SIGKILL itself during the FIRST request it handles:
//   "handler"  at the handler's first line, before its side effect;
//   "complete" when handle() calls guard.complete(): after the side effect, before
//              the answer is stored;
//   "stored"   once guard.complete() has resolved: the answer is stored, the
//              response is not written yet.
// Unset: a survivor that serves until SIGTERM. Prints its port on stdout.
import { createServer } from "node:http";
import { createClient } from "redis";
import { z } from "zod";
import { Account, RedisReplayGuard, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

const killAt = process.env.KILL_AT ?? "";
if (!["", "handler", "complete", "stored"].includes(killAt)) throw new Error(`KILL_AT: unknown point ${killAt}`);
let doomed = killAt !== "";
const die = () => {
  process.kill(process.pid, "SIGKILL"); // delivered before this call returns
  for (;;); // never reached
};

const worker = Account.fromSecret(process.env.WORKER_SECRET);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();

const guard = new RedisReplayGuard({ client: redis, prefix: process.env.GUARD_PREFIX, skewMs: 0 });
const complete = guard.complete.bind(guard);
guard.complete = async (...args) => {
  if (doomed && killAt === "complete") die();
  const stored = await complete(...args);
  if (doomed && killAt === "stored") die();
  return stored;
};
worker.replayGuard = guard;

const route = defineRequest({
  url: "/api/book-event-ticket",
  workerId: worker.id,
  request: { eventId: z.string() },
  response: { ticketId: z.string() },
  options: { window: Number(process.env.WINDOW_MS), leaseMs: Number(process.env.LEASE_MS) },
});

const server = createServer(
  toNodeListener((request) =>
    route.handle(request, worker, async ({ eventId }) => {
      await redis.incr(`runs:${eventId}`); // instrumentation: the handler was entered
      if (doomed && killAt === "handler") die();
      const seat = await redis.incr(`bookings:${eventId}`); // the side effect
      return { ticketId: `${eventId}-seat-${seat}` };
    }),
  ),
);
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", async () => {
  doomed = false;
  server.close();
  server.closeAllConnections?.();
  await redis.quit().catch(() => {});
  process.exit(0);
});
